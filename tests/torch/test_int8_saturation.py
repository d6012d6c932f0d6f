#!/usr/bin/python3
"""scripts/convert_vgg16.py --int8's default (7-bit activations) cannot saturate oneDNN's int8
convolutions, on any x86 CPU.

Without VNNI, oneDNN multiplies uint8 activations by int8 weights with vpmaddubsw, whose int16 sums of
two products saturate when activations use all 8 bits (255 x 127 x 2 > 32767): whole outputs go wrong,
not just roundings (measured on the AVX2 project machine: int8 VGG16 features at cosine 0.992 to fp32
with 8 bits). Here every quantized convolution of the int8 VGG16 (random Keras-style weights,
calibrated on 16 Training photos) is checked on 4 Test photos against exact integer arithmetic
computed from its own quantized input: int32 sums of levels, then bias, scale, round, zero point and
ReLU. With the default 7 bits, no output level may differ by more than 1 (a rounding of a halfway
value) and fewer than 0.1% may differ at all. On a CPU without avx512_vnni / avx_vnni / amx_int8 the
test also shows what the default avoids: with --activation-bits 8 some level is off by more than 1.

Usage: test_int8_saturation.py   (VERGER_SOURCE_DIR, VERGER_SHARED_DIR; VERGER_BUILD_DIR for scratch)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

SRC = os.environ["VERGER_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SRC, "scripts"))
import convert_vgg16  # noqa: E402


def exact_levels(conv, qx):
    """The output levels of quantized (ReLU-)conv `conv` on quint8 `qx`, in exact integer arithmetic."""
    w = conv.weight()
    w_scale = w.q_per_channel_scales().double() if w.qscheme() == torch.per_channel_affine else \
        torch.full((w.shape[0],), w.q_scale(), dtype=torch.double)
    # Levels in float64: sums of products of 8-bit integers are exact.
    acc = torch.nn.functional.conv2d(qx.int_repr().double() - qx.q_zero_point(), w.int_repr().double(), None,
                                     conv.stride, conv.padding, conv.dilation, conv.groups)
    real = acc * (qx.q_scale() * w_scale).view(1, -1, 1, 1)
    if conv.bias() is not None:
        real = real + conv.bias().double().view(1, -1, 1, 1)
    levels = torch.round(real / conv.scale) + conv.zero_point
    low = conv.zero_point if "ReLU" in type(conv).__name__ else 0
    return torch.clamp(levels, low, 255)


def worst_difference(bits, onnx_path, data, x):
    """(largest level difference, share of levels differing) over every quantized convolution."""
    model = convert_vgg16.Vgg16Fc2()
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v))
                           for k, v in convert_vgg16.read_onnx(onnx_path).items()})
    gm = convert_vgg16.quantize_int8(model.eval(), os.path.join(data, "Training"), 16, bits)
    largest, differing, total = 0, 0, 0

    def check(conv, inputs, output):
        nonlocal largest, differing, total
        d = (output.int_repr().double() - exact_levels(conv, inputs[0])).abs()
        largest, differing, total = max(largest, int(d.max())), differing + int((d > 0).sum()), total + d.numel()

    convs = [m for m in gm.modules() if type(m).__name__ in ("Conv2d", "ConvReLU2d") and hasattr(m, "weight")
             and callable(m.weight)]
    assert len(convs) == 13, [type(m).__name__ for m in gm.modules()]
    for c in convs:
        c.register_forward_hook(check)
    with torch.no_grad():
        gm(x)
    return largest, differing / total


def has_vnni():
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    return any(f in flags for f in ("avx512_vnni", "avx_vnni", "amx_int8"))


def main():
    data = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10")
    torch.set_num_threads(2)
    x = convert_vgg16.calibration_batch(os.path.join(data, "Test"), 4)  # never the calibration photos
    with tempfile.TemporaryDirectory(prefix="int8_saturation_", dir=os.environ.get("VERGER_BUILD_DIR")) as tmp:
        onnx_path = os.path.join(tmp, "vgg16.onnx")
        subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "make_vgg16_onnx.py"), onnx_path, "--seed",
                        "6"], check=True)
        assert convert_vgg16.DEFAULT_ACTIVATION_BITS == 7, convert_vgg16.DEFAULT_ACTIVATION_BITS
        result = {bits: worst_difference(bits, onnx_path, data, x) for bits in (7, 8)}
        for bits, (largest, share) in result.items():
            print(f"{bits}-bit activations on oneDNN: largest level difference {largest}, "
                  f"{share * 100:.4f}% of levels differ from exact integer arithmetic")
        assert result[7][0] <= 1 and result[7][1] < 1e-3, result
        if not has_vnni():
            assert result[8][0] > 1, result  # the saturation the default avoids
    print("ok")


if __name__ == "__main__":
    main()
