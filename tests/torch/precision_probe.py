#!/usr/bin/python3
"""Report (not a test): does reduced precision change what the features are good for?
Extracts VGG16-fc2 features (random Keras-style weights via ONNX -> TorchScript) in
fp32 and each of --precisions for fruits-360-10 (--train per class from Training,
--test per class from Test), fits PCA(--components) + logistic regression on the
training rows of each, and prints the test accuracies and the cosine similarity of
the features to fp32. int8 is calibrated (convert_vgg16.py --int8) on 64 photos of
the whole Training folder; the Test photos are never seen by calibration.

Usage: precision_probe.py VERGER_BIN WORKDIR [--precisions bf16,int8] [--train 20] [--test 10] [--components 32]
"""
import argparse
import csv
import glob
import os
import subprocess
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(SRC, "..", "shared", "datasets", "fruits-360-10")


def link_subset(split, per_class, dst):
    for cls in sorted(os.listdir(os.path.join(DATA, split))):
        os.makedirs(os.path.join(dst, cls), exist_ok=True)
        files = sorted(glob.glob(os.path.join(DATA, split, cls, "*.jpg")))
        for p in files[:: max(1, len(files) // per_class)][:per_class]:
            q = os.path.join(dst, cls, os.path.basename(p))
            if not os.path.exists(q):
                os.symlink(os.path.abspath(p), q)


def table(out):
    keys, labels, x = [], [], []
    for path in sorted(glob.glob(os.path.join(out, "features", "*", "*.csv"))):
        with open(path) as f:
            for r in list(csv.reader(f))[1:]:
                keys.append(r[0]), labels.append(r[1]), x.append(np.array(r[2:], np.float64))
    return keys, np.array(labels), np.stack(x)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("verger")
    ap.add_argument("work")
    ap.add_argument("--train", type=int, default=20)
    ap.add_argument("--test", type=int, default=10)
    ap.add_argument("--components", type=int, default=32)
    ap.add_argument("--precisions", default="bf16,int8")
    a = ap.parse_args(argv)
    precisions = ["fp32"] + a.precisions.split(",")
    os.makedirs(a.work, exist_ok=True)
    onnx_path = os.path.join(a.work, "vgg16.onnx")
    if not os.path.exists(onnx_path):
        subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "make_vgg16_onnx.py"), onnx_path], check=True)
    weights = {p: onnx_path for p in precisions}
    if "int8" in precisions:
        weights["int8"] = os.path.join(a.work, "vgg16-int8.pt")
        if not os.path.exists(weights["int8"]):
            subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "convert_vgg16.py"), onnx_path,
                            weights["int8"], "--int8", os.path.join(DATA, "Training")], check=True)
    feats = {}
    for split, n in (("Training", a.train), ("Test", a.test)):
        link_subset(split, n, os.path.join(a.work, "in", split))
        for precision in precisions:
            out = os.path.join(a.work, f"{split}-{precision}")
            if os.path.exists(os.path.join(out, "manifest.json")):  # done by an earlier invocation
                feats[split, precision] = table(out)
                continue
            subprocess.run([a.verger, "extract", "-i", os.path.join(a.work, "in", split), "-o", out, "--overwrite",
                            "--model", "vgg16", "--weights", weights[precision], "--backend", "torch", "--precision", precision,
                            "--format", "csv", "--batch", "16", "--threads", "2", "--progress", "none"], check=True,
                           env=dict(os.environ, XDG_CACHE_HOME=os.path.join(a.work, "cache")))
            feats[split, precision] = table(out)
    for precision in precisions:
        _, ytr, xtr = feats["Training", precision]
        _, yte, xte = feats["Test", precision]
        pca = PCA(a.components, random_state=0).fit(xtr)
        clf = LogisticRegression(max_iter=5000).fit(pca.transform(xtr), ytr)
        print(f"{precision}: PCA({a.components}) + logistic regression, {len(ytr)} train / {len(yte)} test images: "
              f"test accuracy {100 * clf.score(pca.transform(xte), yte):.1f}%")
    x32 = feats["Test", "fp32"][2]
    for precision in precisions[1:]:
        x = feats["Test", precision][2]
        cos = (x32 * x).sum(1) / np.sqrt((x32 * x32).sum(1) * (x * x).sum(1))
        print(f"cosine {precision} vs fp32 on the test images: min {cos.min():.6f}, median {np.median(cos):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
