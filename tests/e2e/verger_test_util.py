"""Helpers shared by the end-to-end scripts: where things are, how to run
verger, how to read its outputs back without verger."""
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

VERGER = os.environ.get("VERGER_BIN", "build/release/src/cli/verger")
SHARED = os.environ.get("VERGER_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../shared"))
DATASETS = os.path.join(SHARED, "datasets")
TRAINING = os.path.join(DATASETS, "fruits-360-10", "Training")
TEST = os.path.join(DATASETS, "fruits-360-10", "Test")
LARGE = os.path.join(DATASETS, "fruits-360-large-sample")

csv.field_size_limit(1 << 30)


def run_verger(*args, check=True, timeout=1800):
    cmd = [VERGER, *map(str, args)]
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr[-4000:])
    if check and p.returncode != 0:
        raise AssertionError(f"verger exited {p.returncode}: {p.stderr[-2000:]}")
    return p


def tempdir(prefix):
    return tempfile.mkdtemp(prefix=f"verger_{prefix}_")


def read_feature_csvs(out_dir, dataset="features"):
    """{path: (label, [floats])} and the set of label folder names, from CSVs."""
    rows, folders = {}, set()
    for f in sorted(glob.glob(os.path.join(out_dir, dataset, "label=*", "part-*.csv"))):
        if f.endswith(".keys.csv"):  # the npy format's row names
            continue
        folder = os.path.basename(os.path.dirname(f))[len("label="):]
        folders.add(urllib.parse.unquote(folder))
        with open(f, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            assert header[:2] == ["path", "label"], header
            for rec in reader:
                assert rec[0] not in rows, f"duplicate row for {rec[0]}"
                assert len(rec) == len(header), f"{f}: ragged row {rec[0]}"
                rows[rec[0]] = (rec[1], [float(x) for x in rec[2:]])
    return rows, folders


def read_errors(out_dir):
    with open(os.path.join(out_dir, "errors.csv"), newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["path", "reason"]
        return {r[0]: r[1] for r in reader}


def read_manifest(out_dir):
    with open(os.path.join(out_dir, "manifest.json"), encoding="utf-8") as fh:
        return json.load(fh)


def list_images(root):
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.lower().endswith((".jpg", ".jpeg", ".png")):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
