#!/usr/bin/python3
"""Independent reference features for the built-in models, for checking verger.

Pillow open -> convert('RGB') -> resize((224, 224), filter) -> NumPy
normalisation (Keras preprocess_input semantics) -> cv2.dnn.readNetFromONNX
-> forward(feature layer) -> mean over space. One image per forward pass.
Shares no code with verger: the spec table and OpenCV layer names are
written out here.

Usage: reference_features.py MODEL OUT.npy IMAGE...   (rows in IMAGE order)
       MODEL: mobilenetv2 | squeezenet;  models from $VERGER_MODELS_DIR or
       $VERGER_SHARED_DIR/models.
"""
import os
import sys

import cv2
import numpy as np
from PIL import Image

# name: (file, channel order, normalisation, Pillow filter, OpenCV layer of the feature tensor)
# OpenCV 4.6 names layers after ONNX nodes: tensor "627" is the output of node
# "627_DequantizeLinear"; tensor "fire9/concat_1" comes from an unnamed node.
MODELS = {
    "mobilenetv2": ("mobilenetv2-12-int8.onnx", "rgb", "torch", Image.BILINEAR, "onnx_node!627_DequantizeLinear"),
    "squeezenet": ("squeezenet1.1-fp32.onnx", "bgr", "caffe", Image.BILINEAR, "onnx_node_output_0!fire9/concat_1"),
}


def models_dir():
    if os.environ.get("VERGER_MODELS_DIR"):
        return os.environ["VERGER_MODELS_DIR"]
    shared = os.environ.get("VERGER_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
    return os.path.join(shared, "models")


def preprocess(path, order, norm, resample):
    img = Image.open(path).convert("RGB").resize((224, 224), resample)
    x = np.asarray(img, dtype=np.float32)  # H, W, RGB
    if norm == "torch":
        x = (x / 255.0 - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    elif norm == "caffe":
        x = x - np.array([123.68, 116.779, 103.939], np.float32)
    elif norm == "tf":
        x = x / 127.5 - 1.0
    if order == "bgr":
        x = x[..., ::-1]
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)  # 1, C, H, W


def features(model, paths):
    file, order, norm, resample, layer = MODELS[model]
    cv2.setNumThreads(2)
    net = cv2.dnn.readNetFromONNX(os.path.join(models_dir(), file))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    rows = []
    for p in paths:
        net.setInput(preprocess(p, order, norm, resample))
        out = net.forward(layer)  # 1, C, H, W
        rows.append(out.reshape(out.shape[0], out.shape[1], -1).mean(axis=2)[0])
    return np.stack(rows).astype(np.float32)


def main(argv):
    if len(argv) < 3 or argv[0] not in MODELS:
        sys.stderr.write(__doc__)
        return 2
    np.save(argv[1], features(argv[0], argv[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
