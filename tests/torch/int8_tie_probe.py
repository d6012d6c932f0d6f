#!/usr/bin/python3
"""Checks, layer by layer, the arithmetic the torch import of an int8 graph
copies from OpenCV DNN (a hand-run probe, not a CTest test; the end-to-end
check is test_onnx_builtin_fidelity.py; docs/models.md "Quantized graphs").

For every QLinearConv of the shipped graph it feeds OpenCV's own int8 input of
that layer to the ONNX definition computed as the importer does (exact integer
sums, multiplier x_scale*w_scale/y_scale in float32 operations, float32
product, round half to even, + zero point, clamp) and counts, per kind of convolution, the outputs
that differ from OpenCV's: where the float32 product is exactly halfway
between two integers (a tie) and elsewhere, and how many differ from the rule
the importer follows (away_from_zero_columns). QLinearAdd is checked the same
way against the importer's float32 dequantize-add-requantize.

Usage: int8_tie_probe.py [N_PHOTOS]   (default 6, spread over fruits-360-10/Test)
"""
import glob
import os
import sys

import cv2
import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import reference_features as rf  # noqa: E402
from verger_test_util import TEST  # noqa: E402

n_photos = int(sys.argv[1]) if len(sys.argv) > 1 else 6
model = os.path.join(rf.models_dir(), "mobilenetv2-12-int8.onnx")
graph = onnx.load(model).graph
init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
net = cv2.dnn.readNetFromONNX(model)
_, order, norm, resample, _ = rf.MODELS["mobilenetv2"]
photos = sorted(glob.glob(os.path.join(TEST, "*", "*.jpg")))
photos = photos[:: max(1, len(photos) // n_photos)][:n_photos]
quantized = [n for n in graph.node if n.op_type in ("QLinearConv", "QLinearAdd", "QuantizeLinear")]


def away_from_zero_columns(n, attrs, in_width, out_width):
    """Columns where OpenCV 4.6's AVX2 int8 3x3 depthwise kernel (fastDepthwiseConv, used when the
    input is at least 18 wide and padded by at most 1) rounds with std::round (ties away from zero): the
    first column when padded on the left, the columns at and past outW1, and every column when fewer
    than 32 remain for its 32-wide vector loop. Its vector loop, and the im2row path every other
    convolution takes, round ties to even (_mm256_cvtps_epi32)."""
    cols = np.zeros(out_width, bool)
    w = init[n.input[3]]
    pad_l, stride = attrs["pads"][1], attrs["strides"][1]
    if not (attrs.get("group", 1) == w.shape[0] and w.shape[1] == 1 and tuple(w.shape[2:]) == (3, 3)
            and attrs.get("dilations", [1, 1]) == [1, 1] and stride in (1, 2) and in_width >= 18
            and max(attrs["pads"]) <= 1):
        return cols
    w1 = min(out_width, (in_width - 2 + pad_l) // stride)
    start = 1 if pad_l > 0 else 0
    if w1 < start + 32:
        cols[:] = True
    else:
        cols[:start] = True
        cols[w1:] = True
    return cols


# kind -> [outputs, ties, differ at ties (half to even), differ at ties (half away from zero), differ elsewhere,
#          differ anywhere from the OpenCV rule]
stats = {}
for photo in photos:
    net.setInput(rf.preprocess(photo, order, norm, resample))
    # OpenCV keeps uint8 tensors as int8 with the zero point shifted by -128.
    levels = {n.output[0]: r.astype(np.float64) + 128 for n, r in
              zip(quantized, net.forward(["onnx_node!" + n.name for n in quantized]))}
    for n in graph.node:
        if n.op_type == "QLinearAdd" and n.input[0] in levels:
            # Dequantize both, add, multiply by 1 / C_scale: float32 throughout.
            a_scale, a_zp, b_scale, b_zp, y_scale, y_zp = (init[n.input[i]].astype(np.float32) for i in (1, 2, 4, 5, 6, 7))
            total = ((levels[n.input[0]].astype(np.float32) - a_zp) * a_scale +
                     (levels[n.input[3]].astype(np.float32) - b_zp) * b_scale)
            got = np.clip(np.round(total * (np.float32(1) / y_scale)) + y_zp, 0, 255)
            s = stats.setdefault("add", [0, 0, 0, 0, 0, 0])
            s[0] += got.size
            s[5] += int((got != levels[n.output[0]]).sum())
        if n.op_type != "QLinearConv":
            continue
        x_scale, x_zp, w, w_scale, y_scale, y_zp, bias = (init[n.input[i]] for i in (1, 2, 3, 4, 6, 7, 8))
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        groups = attrs.get("group", 1)
        acc = torch.nn.functional.conv2d(
            torch.tensor(levels[n.input[0]] - float(x_zp)), torch.tensor(w.astype(np.float64)),
            torch.tensor(bias.astype(np.float64)), stride=attrs["strides"], padding=attrs["pads"][:2],
            groups=groups).numpy()
        mult = (x_scale.astype(np.float32) * w_scale.astype(np.float32)) / y_scale.astype(np.float32)  # float32 ops, as OpenCV
        prod = acc.astype(np.float32) * np.broadcast_to(mult, (acc.shape[1],)).reshape(1, -1, 1, 1)
        want = levels[n.output[0]]
        tie = (prod - np.floor(prod)) == 0.5
        even = np.clip(np.round(prod) + float(y_zp), 0, 255)
        away = np.clip(np.sign(prod) * np.floor(np.abs(prod) + 0.5) + float(y_zp), 0, 255)
        kind = "depthwise" if groups > 1 else ("1x1" if w.shape[2] == 1 else "full")
        cols = away_from_zero_columns(n, attrs, levels[n.input[0]].shape[3], prod.shape[3])
        opencv_rule = np.where(tie & cols.reshape(1, 1, 1, -1), away, even)
        s = stats.setdefault(kind, [0, 0, 0, 0, 0, 0])
        s[0] += want.size
        s[1] += int(tie.sum())
        s[2] += int((even != want)[tie].sum())
        s[3] += int((away != want)[tie].sum())
        s[4] += int((even != want)[~tie].sum())
        s[5] += int((opencv_rule != want).sum())
print(f"{len(photos)} photos, every QLinearConv fed OpenCV's own input (OpenCV {cv2.__version__}):")
for kind, (outputs, ties, even, away, other, rule) in sorted(stats.items()):
    if kind == "add":
        print(f"  QLinearAdd: {outputs} outputs, {rule} differ from dequantize-add-requantize in float32")
        continue
    print(f"  {kind:>9}: {outputs} outputs, {ties} ties; at ties OpenCV differs from half-to-even on {even} and "
          f"from half-away-from-zero on {away}; {other} differences elsewhere; {rule} differences from "
          f"away_from_zero_columns' rule")
