#!/usr/bin/python3
"""model_probe --images (verger's image library + OpenCV backend, batched)
equals reference_features.py (Pillow + NumPy + cv2.dnn, one image per pass)
on 60 fruits-360-10 Test photos, for mobilenetv2 and squeezenet.

Usage (ctest sets the environment): test_probe_reference.py PATH/TO/model_probe
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_features  # noqa: E402
from test_reference_features import TOLERANCE, sample  # noqa: E402


def main():
    probe = sys.argv[1]
    test_dir = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10", "Test")
    paths = [os.path.join(test_dir, k) for k in sample(test_dir)]
    assert len(paths) >= 50, len(paths)
    with tempfile.TemporaryDirectory(prefix="model_probe_ref_") as tmp:
        lst = os.path.join(tmp, "images.txt")
        with open(lst, "w") as f:
            f.write("\n".join(paths) + "\n")
        for model, dim in [("mobilenetv2", 1280), ("squeezenet", 512)]:
            out = os.path.join(tmp, model + ".npy")
            # OpenCV DNN, which this test is about (the default runs mobilenetv2 on torch: its
            # agreement with the reference is torch_onnx_builtin_fidelity_int8's).
            r = subprocess.run([probe, "--model", model, "--backend", "opencv", "--images", lst, "--out", out],
                               check=True, capture_output=True, text=True)
            print(r.stdout.strip())
            a = np.load(out)
            assert a.shape == (len(paths), dim), a.shape
            ref = reference_features.features(model, paths)
            err = float(np.abs(a - ref).max() / np.abs(ref).max())
            print(f"{model}: {len(paths)} images, max|a-b|/max|b| = {err:.3g}")
            assert err <= TOLERANCE, f"{model}: relative error {err} > {TOLERANCE}"
    print("ok")


if __name__ == "__main__":
    main()
