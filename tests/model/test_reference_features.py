#!/usr/bin/python3
"""`verger extract` features equal an independent Pillow + NumPy + cv2.dnn reference.

60 Test photos of fruits-360-10 (the first 6 of each of the 10 classes,
sorted by name) are symlinked into a temporary input folder keeping the
<Class>/<file>.jpg layout, extracted with --format csv for mobilenetv2 and
squeezenet, and compared row by row (matched on `path`) with
reference_features.py: max|a - b| / max|b| <= 1e-4 per model.
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_features  # noqa: E402

PER_CLASS = 6
TOLERANCE = 1e-4


def sample(test_dir):
    picked = []
    for cls in sorted(os.listdir(test_dir)):
        files = sorted(f for f in os.listdir(os.path.join(test_dir, cls)) if f.endswith(".jpg"))
        picked += [f"{cls}/{f}" for f in files[:PER_CLASS]]
    return picked


def read_csv_features(out_dir):
    rows = {}
    parts = sorted(glob.glob(os.path.join(out_dir, "features", "label=*", "part-*.csv")))
    assert parts, f"no features/label=*/part-*.csv under {out_dir}"
    for part in parts:
        with open(part, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            assert header[:3] == ["path", "label", "dim_0"], header[:3]
            for r in reader:
                assert r[0] not in rows, f"duplicate path {r[0]}"
                rows[r[0]] = (r[1], np.array([float(v) for v in r[2:]], np.float32))
    return rows


def main():
    verger = os.environ["VERGER_BIN"]
    test_dir = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10", "Test")
    keys = sample(test_dir)
    assert len(keys) >= 50, len(keys)
    with tempfile.TemporaryDirectory(prefix="model_reference_") as tmp:
        in_dir = os.path.join(tmp, "in")
        for k in keys:
            os.makedirs(os.path.join(in_dir, os.path.dirname(k)), exist_ok=True)
            os.symlink(os.path.join(test_dir, k), os.path.join(in_dir, k))
        for model, dim in [("mobilenetv2", 1280), ("squeezenet", 512)]:
            out_dir = os.path.join(tmp, "out_" + model)
            # squeezenet on the default backend (torch). The int8 mobilenetv2 on OpenCV DNN, as the
            # reference: the default torch import equals OpenCV's int8 arithmetic bit for bit only where
            # OpenCV runs the kernels it follows (AVX2, docs/models.md), so its agreement is checked with
            # CPU-independent bounds by torch_onnx_builtin_fidelity_int8.
            backend = ["--backend", "opencv"] if model == "mobilenetv2" else []
            subprocess.run([verger, "extract", "--input", in_dir, "--output", out_dir, "--model", model,
                            "--format", "csv", "--threads", "2", *backend], check=True)
            got = read_csv_features(out_dir)
            assert sorted(got) == sorted(keys), (model, sorted(set(got) ^ set(keys))[:5])
            for k in keys:
                assert got[k][0] == k.split("/")[0], (k, got[k][0])
                assert got[k][1].shape == (dim,), (model, k, got[k][1].shape)
            ref = reference_features.features(model, [os.path.join(in_dir, k) for k in keys])
            a = np.stack([got[k][1] for k in keys])
            err = float(np.abs(a - ref).max() / np.abs(ref).max())
            worst = keys[int(np.abs(a - ref).max(axis=1).argmax())]
            print(f"{model}: {len(keys)} images, {dim}-d, max|a-b|/max|b| = {err:.3g} (worst {worst})")
            assert err <= TOLERANCE, f"{model}: relative error {err} > {TOLERANCE} (worst {worst})"
    print("ok")


if __name__ == "__main__":
    main()
