#!/usr/bin/python3
"""The shipped networks on the torch backend (imported from ONNX in C++)
against the independent reference of tests/model/reference_features.py
(Pillow + NumPy + OpenCV DNN running the ONNX file, one image at a time).

mobilenetv2 (int8 graph, run in float32 on exact integer levels with OpenCV's
requantization arithmetic), all 1,609 Test photos of fruits-360-10, `verger
extract --backend torch`: cosine similarity of the 1,280-d features >= 0.995
for every image and >= 0.999 on average; through a spec at the 1,000-class
`output` tensor, the same top-1 class on >= 99% of the photos. (Measured:
min 1.00000, every photo; tests/torch/int8_tie_probe.py checks the arithmetic
layer by layer.)
squeezenet (float32 graph), 60 photos: equal within 1e-4 relative.

Usage: test_onnx_builtin_fidelity.py [squeezenet] [mobilenetv2]   (default: both)
CTest runs each half as its own test; the mobilenetv2 one is labelled slow.
"""
import json
import os
import sys
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
import reference_features  # noqa: E402
from verger_test_util import TEST, list_images, read_feature_csvs, run_verger  # noqa: E402


def reference_mobilenetv2(paths):
    """(1,280-d pooled features, 1,000 logits) per photo, from cv2.dnn on the int8 ONNX."""
    file, order, norm, resample, layer = reference_features.MODELS["mobilenetv2"]
    cv2.setNumThreads(2)
    net = cv2.dnn.readNetFromONNX(os.path.join(reference_features.models_dir(), file))
    feats, logits = [], []
    for p in paths:
        net.setInput(reference_features.preprocess(p, order, norm, resample))
        inner, out = net.forward([layer, "onnx_node!output_DequantizeLinear"])
        feats.append(inner.reshape(inner.shape[1], -1).mean(axis=1))
        logits.append(out.reshape(-1))
    return np.stack(feats), np.stack(logits)


def extract(inp, out, model, extra=()):
    run_verger("extract", "-i", inp, "-o", out, "--model", model, "--backend", "torch", "--format", "csv",
               "--batch", "32", "--threads", "2", "--progress", "none", *extra)
    rows, _ = read_feature_csvs(out)
    return {k: np.array(v, np.float32) for k, (_, v) in rows.items()}


def check_mobilenetv2(tmp, keys):
    paths = [os.path.join(TEST, k) for k in keys]
    want_feat, want_logits = reference_mobilenetv2(paths)
    got = extract(TEST, os.path.join(tmp, "mnv2"), "mobilenetv2")
    spec = dict(name="mobilenetv2-logits", weights=os.path.join(reference_features.models_dir(),
                                                               "mobilenetv2-12-int8.onnx"),
                input_name="input", color_order="rgb", normalization="torch", feature_tensor="output",
                pooling="none", feature_dim=1000)
    spec_path = os.path.join(tmp, "logits.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    got_logits = extract(TEST, os.path.join(tmp, "logits"), spec_path)
    assert sorted(got) == sorted(keys) == sorted(got_logits), (len(got), len(keys), len(got_logits))
    g = np.stack([got[k] for k in keys])
    cos = np.sum(g * want_feat, 1) / (np.linalg.norm(g, axis=1) * np.linalg.norm(want_feat, axis=1))
    top1 = np.mean(np.argmax(np.stack([got_logits[k] for k in keys]), 1) == np.argmax(want_logits, 1))
    worst = keys[int(np.argmin(cos))]
    print(f"mobilenetv2 torch vs OpenCV int8 reference, {len(keys)} photos: cosine min {cos.min():.5f} ({worst}), "
          f"mean {cos.mean():.6f}; top-1 agreement at output {top1 * 100:.2f}%")
    assert cos.min() >= 0.995, cos.min()
    assert cos.mean() >= 0.999, cos.mean()
    assert top1 >= 0.99, top1


def check_squeezenet(tmp, keys):
    picked = keys[::len(keys) // 60][:60]
    inp = os.path.join(tmp, "sq_in")
    for k in picked:
        os.makedirs(os.path.join(inp, os.path.dirname(k)), exist_ok=True)
        os.symlink(os.path.join(TEST, k), os.path.join(inp, k))
    want = reference_features.features("squeezenet", [os.path.join(TEST, k) for k in picked])
    got = extract(inp, os.path.join(tmp, "sq"), "squeezenet")
    g = np.stack([got[k] for k in picked])
    err = float(np.max(np.abs(g - want)) / np.max(np.abs(want)))
    print(f"squeezenet torch vs OpenCV fp32 reference, {len(picked)} photos: max rel err {err:.3g}")
    assert err <= 1e-4, err


def main():
    which = sys.argv[1:] or ["squeezenet", "mobilenetv2"]
    keys = list_images(TEST)
    assert len(keys) == 1609, len(keys)
    with tempfile.TemporaryDirectory(prefix="torch_builtin_fidelity_", dir=os.environ.get("VERGER_BUILD_DIR")) as tmp:
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")  # a fresh import, not a stale cache entry
        if "squeezenet" in which:
            check_squeezenet(tmp, keys)
        if "mobilenetv2" in which:
            check_mobilenetv2(tmp, keys)
    print("ok")


if __name__ == "__main__":
    main()
