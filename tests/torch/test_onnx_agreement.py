#!/usr/bin/python3
"""A Keras-style VGG16 ONNX (scripts/make_vgg16_onnx.py, random weights) converted by
convert_vgg16.py gives the same fc2 features as OpenCV DNN on the ONNX: directly
(TorchScript vs cv2.dnn) and through `verger extract --backend torch|opencv` on photos."""
import glob
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import read_feature_csvs  # noqa: E402


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def read_csv_rows(out):
    """{path: float32 feature vector} of a CSV extraction."""
    return {k: np.array(v, np.float32) for k, (_, v) in read_feature_csvs(out)[0].items()}


def main():
    src, build, shared = os.environ["VERGER_SOURCE_DIR"], os.environ.get("VERGER_BUILD_DIR"), os.environ["VERGER_SHARED_DIR"]
    with tempfile.TemporaryDirectory(prefix="torch_onnx_", dir=build) as tmp:
        onnx_path, pt = os.path.join(tmp, "vgg16.onnx"), os.path.join(tmp, "vgg16.pt")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "make_vgg16_onnx.py"), onnx_path, "--seed", "4"],
                       check=True)
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "convert_vgg16.py"), onnx_path, pt], check=True)

        rng = np.random.default_rng(9)
        x = rng.uniform(-120, 150, (2, 3, 224, 224)).astype(np.float32)
        net = cv2.dnn.readNetFromONNX(onnx_path)
        net.setInput(x)
        want = net.forward().reshape(2, 4096)
        with torch.no_grad():
            got = torch.jit.load(pt)(torch.from_numpy(x)).numpy()
        assert np.count_nonzero(want) > 4096 // 4, "reference features are dead"
        err = rel_err(got, want)
        print("TorchScript vs OpenCV DNN on the ONNX: max rel err", err)
        assert err <= 1e-4, err

        # Through the CLI: 6 photos from two classes, both backends, same ONNX file.
        inp = os.path.join(tmp, "in")
        for cls in sorted(os.listdir(os.path.join(shared, "datasets", "fruits-360-10", "Test")))[:2]:
            os.makedirs(os.path.join(inp, cls))
            for p in sorted(glob.glob(os.path.join(shared, "datasets", "fruits-360-10", "Test", cls, "*.jpg")))[:3]:
                os.symlink(p, os.path.join(inp, cls, os.path.basename(p)))
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        rows = {}
        for backend in ("opencv", "torch"):
            out = os.path.join(tmp, "out-" + backend)
            r = subprocess.run([os.environ["VERGER_BIN"], "extract", "-i", inp, "-o", out, "--model", "vgg16",
                                "--weights", onnx_path, "--backend", backend, "--format", "csv", "--batch", "4",
                                "--threads", "2", "--progress", "none"], env=env, capture_output=True, text=True)
            print(r.stderr)
            assert r.returncode == 0, r.stderr
            rows[backend] = read_csv_rows(out)
        assert len(rows["opencv"]) == 6 and rows["opencv"].keys() == rows["torch"].keys(), rows.keys()
        for key in sorted(rows["opencv"]):
            err = rel_err(rows["torch"][key], rows["opencv"][key])
            print(key, "verger torch vs opencv: max rel err", err)
            assert err <= 1e-4, (key, err)
        with open(os.path.join(tmp, "out-torch", "manifest.json")) as f:
            assert "libtorch" in f.read()
    print("ok")


if __name__ == "__main__":
    main()
