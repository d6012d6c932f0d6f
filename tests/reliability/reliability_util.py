"""Helpers for the reliability scripts: a small real input set and output comparisons."""
import csv
import glob
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import *  # noqa: E402,F401,F403

TEMP_MARK = ".tmp-"
# Manifest fields that describe one run's timing or work split, not its output.
RUN_FIELDS = {"created", "wall_time_s", "wall_s", "images_per_s", "images_per_hour_per_vcpu", "stage_seconds",
              "command", "partitions_reused", "computed", "reused", "timeline"}


def copy_images(dst, per_class, classes=None, offset=0):
    """Copies `per_class` images (sorted names, from `offset`) of each Training class into dst/<class>/."""
    copied = []
    for cls in sorted(os.listdir(TRAINING))[: classes or None]:
        names = sorted(os.listdir(os.path.join(TRAINING, cls)))[offset: offset + per_class]
        os.makedirs(os.path.join(dst, cls), exist_ok=True)
        for n in names:
            shutil.copy2(os.path.join(TRAINING, cls, n), os.path.join(dst, cls, n))
            copied.append(f"{cls}/{n}")
    return copied


def final_files(out):
    """Relative paths of every file under `out` that is not a temporary (dot-file or .tmp- suffix)."""
    found = []
    for d, dirs, files in os.walk(out):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for f in files:
            if f.startswith(".") or TEMP_MARK in f:
                continue
            found.append(os.path.relpath(os.path.join(d, f), out))
    return sorted(found)


def check_parses(out):
    """Every final-named file must be whole: CSVs rectangular with numeric values, JSON loadable, SVG
    closed, NPY loadable. Returns how many files were checked."""
    import numpy as np
    n = 0
    for rel in final_files(out):
        path = os.path.join(out, rel)
        if rel.endswith(".csv"):
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            check(len(rows) >= 1, f"{rel}: empty CSV")
            width = len(rows[0])
            check(all(len(r) == width for r in rows), f"{rel}: ragged CSV (partial write?)")
            if rows[0][:2] == ["path", "label"]:
                for r in rows[1:]:
                    [float(x) for x in r[2:]]
        elif rel.endswith(".json"):
            with open(path, encoding="utf-8") as fh:
                json.load(fh)
        elif rel.endswith(".svg"):
            with open(path, encoding="utf-8") as fh:
                check(fh.read().rstrip().endswith("</svg>"), f"{rel}: SVG not closed")
        elif rel.endswith(".npy"):
            np.load(path)
        n += 1
    return n


def strip_run_fields(value, out_dir):
    if isinstance(value, dict):
        return {k: strip_run_fields(v, out_dir) for k, v in value.items() if k not in RUN_FIELDS}
    if isinstance(value, list):
        return [strip_run_fields(v, out_dir) for v in value]
    if isinstance(value, str):
        return value.replace(out_dir, "<OUT>")
    return value


def compare_outputs(ref, out):
    """Same final files; every byte equal except manifest.json, which must match without run fields."""
    a, b = final_files(ref), final_files(out)
    check(a == b, f"file sets differ: only in ref {sorted(set(a) - set(b))[:5]}, only in out {sorted(set(b) - set(a))[:5]}")
    for rel in a:
        if rel == "manifest.json":
            ma = strip_run_fields(read_manifest(ref), ref)
            mb = strip_run_fields(read_manifest(out), out)
            check(ma == mb, "manifests differ beyond timing/run fields")
            continue
        with open(os.path.join(ref, rel), "rb") as fa, open(os.path.join(out, rel), "rb") as fb:
            check(fa.read() == fb.read(), f"{rel}: bytes differ")
    return len(a)
