"""Labels can never make verger write outside --output: folder names that escape to more than 255 bytes
get a deterministic shortened folder (prefix + hash) while the label column keeps the full label;
names with '%', '=', '..'-like text stay one safe path component. (NUL bytes, '/', '..' and absolute
labels cannot come from a local folder; engine.OutputPaths.* covers them on TableBaseKey.)"""
import os
import shutil

from reliability_util import *  # noqa: F403

labels = ["#" * 200, "#" * 199 + "$", "é" * 127, "%2e%2e", "x..", "label=..%2F..%2Fetc", "a:b*c?d"]
tmp = [tempdir("paths_in"), tempdir("paths_out"), tempdir("paths_out2")]
inp, out, out2 = tmp
try:
    kiwi = os.path.join(TRAINING, "Kiwi 1")
    src = os.path.join(kiwi, sorted(os.listdir(kiwi))[0])
    for lab in labels:
        os.makedirs(os.path.join(inp, lab))
        shutil.copy(src, os.path.join(inp, lab, "img.jpg"))
    for o in (out, out2):
        run_verger("extract", "--input", inp, "--output", o, "--model", "squeezenet", "--format", "csv,npy",
                   "--progress", "none", "--overwrite")
    real_out = os.path.realpath(out)
    folders = []
    for d, dirs, files in os.walk(out):
        for name in dirs + files:
            check(len(name.encode()) <= 255, f"component over 255 bytes: {name[:40]}...")
            check(os.path.realpath(os.path.join(d, name)).startswith(real_out + os.sep), f"outside --output: {name}")
        if os.path.basename(d).startswith("label="):
            folders.append(os.path.relpath(d, out))
    check(len(folders) == len(labels), f"one folder per label, got {len(folders)}")
    rows, _ = read_feature_csvs(out)
    got = {k: v[0] for k, v in rows.items()}
    check(got == {f"{lab}/img.jpg": lab for lab in labels}, "label column keeps every label in full")
    long_folders = [f for f in folders if "~" in f]
    check(len(long_folders) == 3, f"three labels need shortening: {long_folders}")
    check(sorted(folders) == sorted(os.path.relpath(d, out2) for d, _, _ in os.walk(out2)
                                    if os.path.basename(d).startswith("label=")), "folder names deterministic")
    m = read_manifest(out)
    check(sorted(f["label"] for p in m["partitions"] for f in p["files"] if f["key"].endswith(".npy")) == sorted(labels),
          "manifest labels in full")
    print("ok:", sorted(f[len("features/"):][:60] for f in folders))
finally:
    for d in tmp:
        shutil.rmtree(d, ignore_errors=True)
