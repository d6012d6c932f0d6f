#!/usr/bin/python3
"""Reduced precision stays within its fidelity bound: on 50 fruits-360-10 Test photos (5 per
class) the VGG16-fc2 features (random Keras-style weights, ONNX -> TorchScript) in PRECISION
have cosine similarity >= 0.999 to the fp32 features of the same network, image by image.
Also: the reduced path really ran (features differ, the manifest says so).

int8 first quantizes the network with scripts/convert_vgg16.py --int8, calibrated on 64
Training photos (never the Test photos compared here), and checks the errors that keep a
manifest truthful: int8 on an unquantized file, a quantized file under fp32, and int8 asked
of Keras/ONNX weights (calibration is an explicit step).

Usage: test_precision_fidelity.py bf16|int8
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import read_feature_csvs  # noqa: E402


def rows(out):
    """{path: float64 feature vector} of a CSV extraction."""
    return {k: np.array(v, np.float64) for k, (_, v) in read_feature_csvs(out)[0].items()}


def extract(inp, out, weights, precision, env):
    return subprocess.run([os.environ["VERGER_BIN"], "extract", "-i", inp, "-o", out, "--model", "vgg16",
                           "--weights", weights, "--backend", "torch", "--precision", precision, "--format", "csv",
                           "--batch", "16", "--threads", "2", "--progress", "none"],
                          env=env, capture_output=True, text=True)


def expect_refused(r, *needles):
    assert r.returncode != 0, r.stderr
    for n in needles:
        assert n in r.stderr, (n, r.stderr)
    print("refused as expected:", r.stderr.strip().splitlines()[-1])


def main(precision):
    assert precision in ("bf16", "int8"), precision
    src, build, shared = os.environ["VERGER_SOURCE_DIR"], os.environ.get("VERGER_BUILD_DIR"), os.environ["VERGER_SHARED_DIR"]
    data = os.path.join(shared, "datasets", "fruits-360-10")
    with tempfile.TemporaryDirectory(prefix=f"torch_{precision}_", dir=build) as tmp:
        onnx_path = os.path.join(tmp, "vgg16.onnx")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "make_vgg16_onnx.py"), onnx_path, "--seed", "6"],
                       check=True)
        inp = os.path.join(tmp, "in")
        classes = sorted(os.listdir(os.path.join(data, "Test")))
        assert len(classes) == 10, classes
        for cls in classes:
            os.makedirs(os.path.join(inp, cls))
            for p in sorted(glob.glob(os.path.join(data, "Test", cls, "*.jpg")))[::7][:5]:
                os.symlink(p, os.path.join(inp, cls, os.path.basename(p)))
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        reduced_weights = onnx_path
        if precision == "int8":
            reduced_weights = os.path.join(tmp, "vgg16-int8.pt")
            subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "convert_vgg16.py"), onnx_path,
                            reduced_weights, "--int8", os.path.join(data, "Training")], check=True)
            expect_refused(extract(inp, os.path.join(tmp, "bad1"), onnx_path, "int8", env), "--int8 CALIBRATION_DIR")
            expect_refused(extract(inp, os.path.join(tmp, "bad2"), reduced_weights, "fp32", env),
                           "is int8-quantized", "--precision int8")
        feats = {}
        for p, weights in (("fp32", onnx_path), (precision, reduced_weights)):
            out = os.path.join(tmp, p)
            r = extract(inp, out, weights, p, env)
            print(r.stderr)
            assert r.returncode == 0, r.stderr
            feats[p] = rows(out)
            with open(os.path.join(out, "manifest.json")) as f:
                assert f"{p}, frozen" in f.read(), p
        if precision == "int8":
            fp32_cached = glob.glob(os.path.join(tmp, "cache", "verger", "*.pt"))  # the ONNX imported in C++
            assert len(fp32_cached) == 1, fp32_cached
            expect_refused(extract(inp, os.path.join(tmp, "bad3"), fp32_cached[0], "int8", env),
                           "has no quantized operators")
        assert len(feats["fp32"]) == 50 and feats["fp32"].keys() == feats[precision].keys()
        cos = []
        for k in sorted(feats["fp32"]):
            a, b = feats["fp32"][k], feats[precision][k]
            assert np.count_nonzero(a) > len(a) // 10, k  # live features, not a degenerate comparison
            cos.append(a @ b / np.sqrt((a @ a) * (b @ b)))
        cos = np.array(cos)
        print(f"{precision} vs fp32 cosine over {len(cos)} photos: min {cos.min():.6f} median {np.median(cos):.6f}")
        assert cos.min() >= 0.999, cos.min()
        assert cos.min() < 1 - 1e-7, f"{precision} gave fp32's exact features: it did not run in {precision}"
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
