#!/usr/bin/python3
"""--precision bf16 stays within its fidelity bound: on 50 fruits-360-10 photos (5 per
class) the VGG16-fc2 features (random Keras-style weights, ONNX -> TorchScript) have
cosine similarity >= 0.999 to the fp32 features of the same network, image by image.
Also: bf16 really ran (features differ, the manifest says bf16)."""
import csv
import glob
import os
import subprocess
import tempfile

import numpy as np


def rows(out):
    got = {}
    for path in glob.glob(os.path.join(out, "features", "*", "*.csv")):
        with open(path) as f:
            for r in list(csv.reader(f))[1:]:
                got[r[0]] = np.array(r[2:], np.float64)
    return got


def main():
    src, build, shared = os.environ["VERGER_SOURCE_DIR"], os.environ.get("VERGER_BUILD_DIR"), os.environ["VERGER_SHARED_DIR"]
    test_dir = os.path.join(shared, "datasets", "fruits-360-10", "Test")
    with tempfile.TemporaryDirectory(prefix="torch_bf16_", dir=build) as tmp:
        onnx_path = os.path.join(tmp, "vgg16.onnx")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "make_vgg16_onnx.py"), onnx_path, "--seed", "6"],
                       check=True)
        inp = os.path.join(tmp, "in")
        classes = sorted(os.listdir(test_dir))
        assert len(classes) == 10, classes
        for cls in classes:
            os.makedirs(os.path.join(inp, cls))
            for p in sorted(glob.glob(os.path.join(test_dir, cls, "*.jpg")))[::7][:5]:
                os.symlink(p, os.path.join(inp, cls, os.path.basename(p)))
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        feats = {}
        for precision in ("fp32", "bf16"):
            out = os.path.join(tmp, precision)
            r = subprocess.run([os.environ["VERGER_BIN"], "extract", "-i", inp, "-o", out, "--model", "vgg16",
                                "--weights", onnx_path, "--backend", "torch", "--precision", precision,
                                "--format", "csv", "--batch", "16", "--threads", "2", "--progress", "none"],
                               env=env, capture_output=True, text=True)
            print(r.stderr)
            assert r.returncode == 0, r.stderr
            feats[precision] = rows(out)
            with open(os.path.join(out, "manifest.json")) as f:
                assert f"{precision}, frozen" in f.read(), precision
        assert len(feats["fp32"]) == 50 and feats["fp32"].keys() == feats["bf16"].keys()
        cos = []
        for k in sorted(feats["fp32"]):
            a, b = feats["fp32"][k], feats["bf16"][k]
            assert np.count_nonzero(a) > len(a) // 10, k  # live features, not a degenerate comparison
            cos.append(a @ b / np.sqrt((a @ a) * (b @ b)))
        cos = np.array(cos)
        print(f"bf16 vs fp32 cosine over {len(cos)} photos: min {cos.min():.6f} median {np.median(cos):.6f}")
        assert cos.min() >= 0.999, cos.min()
        assert cos.min() < 1 - 1e-7, "bf16 gave fp32's exact features: it did not run in bf16"
    print("ok")


if __name__ == "__main__":
    main()
