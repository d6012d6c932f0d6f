#!/usr/bin/python3
"""convert_vgg16.py on Keras-layout HDF5 weights (random) against an independent
numpy forward pass with Keras' channels-last semantics (incl. the fc1 flatten order);
then `verger extract --backend torch --weights FILE.h5` (verger's own C++ conversion,
src/model/torch_vgg16.cc) on real images against the same numpy reference (catches a
wrong channel order or permutation end to end)."""
import csv
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import keras_vgg16  # noqa: E402

CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def keras_preprocess(path):
    """load_img(target_size=224) (Pillow NEAREST) + vgg16.preprocess_input (caffe: BGR minus means)."""
    img = Image.open(path).convert("RGB").resize((224, 224), Image.NEAREST)
    return np.asarray(img, np.float32)[:, :, ::-1] - CAFFE_MEAN_BGR


def main():
    src, build = os.environ["VERGER_SOURCE_DIR"], os.environ.get("VERGER_BUILD_DIR")
    with tempfile.TemporaryDirectory(prefix="torch_h5_", dir=build) as tmp:
        weights = keras_vgg16.random_weights(seed=11)
        h5 = os.path.join(tmp, "vgg16_weights_tf_dim_ordering_tf_kernels.h5")
        keras_vgg16.write_keras_h5(h5, weights)
        pt = os.path.join(tmp, "vgg16.pt")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "convert_vgg16.py"), h5, pt], check=True)

        # Direct: TorchScript on NCHW == numpy Keras on NHWC.
        rng = np.random.default_rng(5)
        images = rng.uniform(-120, 150, (2, 224, 224, 3)).astype(np.float32)
        model = torch.jit.load(pt)
        with torch.no_grad():
            got = model(torch.from_numpy(images.transpose(0, 3, 1, 2).copy())).numpy()
        want = np.stack([keras_vgg16.forward_fc2(weights, im) for im in images])
        assert got.shape == (2, 4096), got.shape
        assert np.count_nonzero(want) > 4096 // 4, "reference features are dead"
        err = rel_err(got, want)
        print("TorchScript vs numpy Keras: max rel err", err)
        assert err <= 1e-4, err
        # Without the fc1 row permutation the answer must be far off (the test can fail).
        bad = dict(weights)
        k1 = weights["fc1"][0].reshape(7, 7, 512, 4096).transpose(2, 0, 1, 3).reshape(25088, 4096)
        bad["fc1"] = (k1, weights["fc1"][1])
        assert rel_err(keras_vgg16.forward_fc2(bad, images[0]), want[0]) > 1e-2

        # End to end through the CLI, on real photos, cached conversion in $XDG_CACHE_HOME.
        shared = os.environ["VERGER_SHARED_DIR"]
        photos = sorted(glob.glob(os.path.join(shared, "datasets", "fruits-360-10", "Test", "*", "*.jpg")))[:3]
        inp = os.path.join(tmp, "in", "fruit")
        os.makedirs(inp)
        for p in photos:
            os.symlink(p, os.path.join(inp, os.path.basename(p)))
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        for run in range(2):  # the second run reuses the cached .pt, and picks the torch backend by itself
            out = os.path.join(tmp, f"out{run}")
            backend = ["--backend", "torch"] if run == 0 else []
            r = subprocess.run([os.environ["VERGER_BIN"], "extract", "-i", os.path.join(tmp, "in"), "-o", out,
                                "--model", "vgg16", "--weights", h5, "--format", "csv", "--threads", "2",
                                "--progress", "none"] + backend, env=env, capture_output=True, text=True)
            print(r.stderr)
            assert r.returncode == 0, r.stderr
        with open(os.path.join(out, "manifest.json")) as f:
            assert "libtorch" in f.read(), "a .h5 without --backend did not run on LibTorch"
        cached = glob.glob(os.path.join(tmp, "cache", "verger", "vgg16-*.pt"))
        assert len(cached) == 1, cached
        with open(glob.glob(os.path.join(out, "features", "label=fruit", "*.csv"))[0]) as f:
            rows = list(csv.reader(f))[1:]
        assert len(rows) == 3, rows
        by_name = {os.path.basename(r[0]): np.array(r[-4096:], np.float32) for r in rows}
        for p in photos:
            ref = keras_vgg16.forward_fc2(weights, keras_preprocess(p))
            err = rel_err(by_name[os.path.basename(p)], ref)
            print(os.path.basename(p), "verger torch vs numpy Keras: max rel err", err)
            assert err <= 1e-4, err
    print("ok")


if __name__ == "__main__":
    main()
