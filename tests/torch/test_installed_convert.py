#!/usr/bin/python3
"""An installed `verger` converts VGG16 weights to its cache and runs them with no Python:
the binary is copied out of the build tree, VERGER_SCRIPTS_DIR is unset, PATH holds no
python and VERGER_PYTHON=/bin/false (any attempt to spawn a converter fails), the cache
lives in a temporary XDG_CACHE_HOME and the working folder is outside the checkout.

Usage: test_installed_convert.py h5|onnx
  h5:   random-weight Keras VGG16 in the whole-model .h5 layout (model.save).
  onnx: random-weight Keras-style VGG16 ONNX (scripts/make_vgg16_onnx.py); needs the
        C++ ONNX importer (branch onnx), before which verger spawns convert_vgg16.py.

Checks: the conversion lands in the cache (one .pt, no temporary left), `extract`
features on real photos equal python3-torch running scripts/convert_vgg16.py's output
(the Python converter, the reference) within 1e-4 relative, and a second run reuses the
cached file (same inode and mtime) with identical features."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import keras_vgg16  # noqa: E402
from verger_test_util import read_feature_csvs  # noqa: E402

CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def vgg16_input(path):
    """verger's vgg16 preprocessing (Keras load_img NEAREST 224x224, caffe: BGR minus means), NCHW."""
    img = Image.open(path).convert("RGB").resize((224, 224), Image.NEAREST)
    bgr = np.asarray(img, np.float32)[:, :, ::-1] - CAFFE_MEAN_BGR
    return np.ascontiguousarray(bgr.transpose(2, 0, 1))


def make_weights(kind, tmp, src):
    if kind == "h5":
        path = os.path.join(tmp, "vgg16.h5")
        keras_vgg16.write_keras_h5(path, keras_vgg16.random_weights(seed=21), whole_model=True)
    else:
        path = os.path.join(tmp, "vgg16.onnx")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "make_vgg16_onnx.py"), path, "--seed", "6"],
                       check=True)
    return path


def installed_env(tmp):
    """Only what an installed binary gets: no source tree, no scripts folder, no usable python."""
    empty_bin = os.path.join(tmp, "emptybin")
    os.makedirs(empty_bin, exist_ok=True)
    return {"HOME": os.path.join(tmp, "home"), "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
            "PATH": empty_bin, "VERGER_PYTHON": "/bin/false", "LANG": "C.UTF-8"}


def extract(verger, inp, out, weights, env, cwd):
    r = subprocess.run([verger, "extract", "-i", inp, "-o", out, "--model", "vgg16", "--weights", weights,
                        "--backend", "torch", "--format", "csv", "--threads", "2", "--progress", "none"],
                       env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    print(r.stderr)
    assert r.returncode == 0, f"installed verger failed (exit {r.returncode}): {r.stderr}"
    with open(os.path.join(out, "manifest.json")) as f:
        assert "libtorch" in f.read(), "did not run on LibTorch"
    return {os.path.basename(k): np.array(v, np.float32) for k, (_, v) in read_feature_csvs(out)[0].items()}


def main(kind):
    src, build, shared = os.environ["VERGER_SOURCE_DIR"], os.environ.get("VERGER_BUILD_DIR"), os.environ["VERGER_SHARED_DIR"]
    with tempfile.TemporaryDirectory(prefix=f"torch_installed_{kind}_", dir=build) as tmp:
        weights = make_weights(kind, tmp, src)
        # Reference: the Python converter's TorchScript, run by python3-torch.
        ref_pt = os.path.join(tmp, "reference.pt")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "convert_vgg16.py"), weights, ref_pt], check=True)
        reference = torch.jit.load(ref_pt).eval()

        # "Install": the binary alone in a folder outside the checkout.
        bin_dir, work = os.path.join(tmp, "prefix", "bin"), os.path.join(tmp, "work")
        os.makedirs(bin_dir)
        os.makedirs(work)
        verger = shutil.copy2(os.environ["VERGER_BIN"], os.path.join(bin_dir, "verger"))
        env = installed_env(tmp)

        photos = sorted(glob.glob(os.path.join(shared, "datasets", "fruits-360-10", "Test", "*", "*.jpg")))[:3]
        inp = os.path.join(tmp, "in", "fruit")
        os.makedirs(inp)
        for p in photos:
            os.symlink(p, os.path.join(inp, os.path.basename(p)))
        with torch.no_grad():
            want = reference(torch.from_numpy(np.stack([vgg16_input(p) for p in photos]))).numpy()
        assert np.count_nonzero(want) > 4096 // 4, "reference features are dead"

        first = extract(verger, os.path.dirname(inp), os.path.join(tmp, "out0"), weights, env, work)
        cache = os.path.join(tmp, "cache", "verger")
        cached = glob.glob(os.path.join(cache, "*.pt"))  # named by the weights' sha256
        assert len(cached) == 1 and os.listdir(cache) == [os.path.basename(cached[0])], os.listdir(cache)
        for p, w in zip(photos, want):
            err = rel_err(first[os.path.basename(p)], w)
            print(os.path.basename(p), f"installed verger ({kind}) vs Python converter + torch: max rel err", err)
            assert err <= 1e-4, err
        if kind == "h5":  # same parameters, bit for bit, under the same names (convert_vgg16.py reads it back)
            got_sd, want_sd = torch.jit.load(cached[0]).state_dict(), reference.state_dict()
            assert sorted(got_sd) == sorted(want_sd), (sorted(got_sd), sorted(want_sd))
            for k in want_sd:
                assert torch.equal(got_sd[k], want_sd[k]), f"parameter {k} differs from the Python converter's"

        before = os.stat(cached[0])
        second = extract(verger, os.path.dirname(inp), os.path.join(tmp, "out1"), weights, env, work)
        after = os.stat(cached[0])
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "the cached model was rewritten"
        assert glob.glob(os.path.join(cache, "*")) == cached, os.listdir(cache)
        for name, row in first.items():
            assert np.array_equal(second[name], row), f"{name}: the cached run gave other features"
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("h5", "onnx"):
        sys.exit("usage: test_installed_convert.py h5|onnx")
    main(sys.argv[1])
