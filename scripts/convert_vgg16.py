#!/usr/bin/python3
"""Converts Keras VGG16 weights to a TorchScript VGG16-to-fc2 for verger's torch backend.

Input, either:
  * Keras' own HDF5 weights (vgg16_weights_tf_dim_ordering_tf_kernels.h5, what
    keras.applications.VGG16() downloads, or any model.save_weights() of VGG16):
    root attr "layer_names", per layer group attr "weight_names" (kernel, bias);
    conv kernels HWIO, dense kernels (in, out).
  * A Keras VGG16 exported to ONNX (tf2onnx --inputs-as-nchw, or
    scripts/make_vgg16_onnx.py): Conv weights OIHW, MatMul weights (in, out).

Output: a TorchScript module taking N x 3 x 224 x 224 float32 (BGR, caffe-
normalised, NCHW: exactly what verger feeds) and returning N x 4096 (fc2 after
its ReLU). Keras flattens block5_pool channels-last (H, W, C); PyTorch flattens
C, H, W, so fc1's input rows are permuted here once.

With --int8 DIR the output is instead statically quantized to int8 (PyTorch FX
graph mode, oneDNN engine: per-channel int8 weights, uint8 activations, every
convolution and dense layer): --calibration-images photos (spread evenly over
the sorted *.jpg/*.jpeg/*.png files under DIR, preprocessed exactly as verger
does for VGG16: RGB, nearest resize to 224x224, BGR, caffe means) fix the
activation ranges. Calibrate on photos like the ones you will extract. Run the
result with `--precision int8` (verger checks the file really is quantized).
Activations get 7 bits by default (--activation-bits 7, PyTorch's reduce_range):
without VNNI (AVX2-only x86) oneDNN multiplies uint8 by int8 with vpmaddubsw,
whose int16 pair sums saturate for 8-bit activations and wrong whole outputs;
7 bits cannot saturate. --activation-bits 8 is finer, but only for models that
will run on CPUs with avx512_vnni / avx_vnni / amx_int8 (docs/benchmarks.md).

Usage: convert_vgg16.py IN.(h5|onnx|pt) OUT.pt [--int8 CALIBRATION_DIR [--calibration-images 64]
                                                [--activation-bits 7|8]]
Needs Debian's python3-torch, python3-h5py (h5) or python3-onnx (ONNX);
--int8 also python3-pil. IN may be a VGG16 TorchScript made by this script.
"""
import argparse
import os
import sys

import numpy as np
import torch
from torch import nn

# (block, convs, channels) of Keras VGG16.
BLOCKS = [(1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)]
CONV_NAMES = [f"block{b}_conv{i}" for b, n, _ in BLOCKS for i in range(1, n + 1)]


class Vgg16Fc2(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c_in = [], 3
        for _, convs, c_out in BLOCKS:
            for _ in range(convs):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c_out
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.fc1 = nn.Linear(7 * 7 * 512, 4096)
        self.fc2 = nn.Linear(4096, 4096)

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        return torch.relu(self.fc2(torch.relu(self.fc1(x))))


def fc1_rows_to_chw(kernel):
    """Keras fc1 kernel (25088, 4096), rows in (h, w, c) order -> rows in (c, h, w) order."""
    return kernel.reshape(7, 7, 512, -1).transpose(2, 0, 1, 3).reshape(7 * 7 * 512, -1)


def _attr_strings(group, name):
    """Keras' load_attributes_from_hdf5_group: attrs too big for one HDF5 header are split as name0, name1, ..."""
    if name in group.attrs:
        chunks = [group.attrs[name]]
    else:
        chunks, i = [], 0
        while f"{name}{i}" in group.attrs:
            chunks.append(group.attrs[f"{name}{i}"])
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for c in chunks for v in c]


def read_keras_h5(path):
    """{layer: (kernel, bias)} in Keras layouts, read the way Keras' load_weights_from_hdf5_group does."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f  # whole-model .h5 keeps weights in a subgroup
        layer_names = _attr_strings(root, "layer_names")
        if not layer_names:
            raise ValueError(f"{path}: no 'layer_names' attribute: not a Keras weights file")
        for layer in layer_names:
            g = root[layer]
            names = _attr_strings(g, "weight_names")
            if not names:
                continue  # input, pooling, flatten: no weights
            values = [np.asarray(g[n], dtype=np.float32) for n in names]
            kernel = next((v for v in values if v.ndim > 1), None)
            bias = next((v for v in values if v.ndim == 1), None)
            if kernel is None or bias is None:
                raise ValueError(f"{path}: layer {layer}: expected a kernel and a bias, got {names}")
            out[layer] = (kernel, bias)
    missing = [n for n in CONV_NAMES + ["fc1", "fc2"] if n not in out]
    if missing:
        raise ValueError(f"{path}: not Keras VGG16 weights: missing layers {missing}")
    return out


def state_from_keras(layers):
    """Keras layouts -> Vgg16Fc2 state dict."""
    sd = {}
    convs = [m for m in range(len(Vgg16Fc2().features)) if isinstance(Vgg16Fc2().features[m], nn.Conv2d)]
    for idx, name in zip(convs, CONV_NAMES):
        k, b = layers[name]
        sd[f"features.{idx}.weight"] = k.transpose(3, 2, 0, 1)  # HWIO -> OIHW
        sd[f"features.{idx}.bias"] = b
    k1, b1 = layers["fc1"]
    sd["fc1.weight"] = fc1_rows_to_chw(k1).T
    sd["fc1.bias"] = b1
    k2, b2 = layers["fc2"]
    sd["fc2.weight"] = k2.T
    sd["fc2.bias"] = b2
    return sd


def read_onnx(path):
    """Conv (OIHW) and dense (in, out) weights of a Keras-exported VGG16 ONNX, in graph order.

    Returns (state dict, fc1_is_channels_last): a Transpose to NHWC before the
    flatten means fc1's rows are in (h, w, c) order, as in Keras.
    """
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in m.graph.initializer}
    convs, dense, channels_last, last_dense_out = [], [], False, None
    for n in m.graph.node:
        if n.op_type == "Conv":
            convs.append((init[n.input[1]], init[n.input[2]] if len(n.input) > 2 else None))
        elif n.op_type == "Transpose" and not dense:
            perm = [a.ints for a in n.attribute if a.name == "perm"]
            channels_last = bool(perm) and list(perm[0]) == [0, 2, 3, 1]
        elif n.op_type in ("MatMul", "Gemm") and n.input[1] in init:
            w = init[n.input[1]]
            trans_b = any(a.name == "transB" and a.i == 1 for a in n.attribute)
            bias = init.get(n.input[2]) if n.op_type == "Gemm" and len(n.input) > 2 else None
            dense.append([w.T if trans_b else w, bias])
        elif n.op_type == "Add" and dense and dense[-1][1] is None and last_dense_out in n.input:
            consts = [init[i] for i in n.input if i in init and init[i].ndim == 1]
            if consts:
                dense[-1][1] = consts[0]
        if n.op_type in ("MatMul", "Gemm"):
            last_dense_out = n.output[0]
    if len(convs) != 13 or len(dense) < 2:
        raise ValueError(f"{path}: expected VGG16 (13 Conv, >= 2 dense layers), found {len(convs)} Conv, {len(dense)} dense")
    sd = {}
    conv_idx = [i for i, m_ in enumerate(Vgg16Fc2().features) if isinstance(m_, nn.Conv2d)]
    for idx, (w, b) in zip(conv_idx, convs):
        sd[f"features.{idx}.weight"] = w
        sd[f"features.{idx}.bias"] = b if b is not None else np.zeros(w.shape[0], np.float32)
    (k1, b1), (k2, b2) = dense[0], dense[1]
    sd["fc1.weight"] = (fc1_rows_to_chw(k1) if channels_last else k1).T
    sd["fc1.bias"] = b1 if b1 is not None else np.zeros(k1.shape[1], np.float32)
    sd["fc2.weight"] = k2.T
    sd["fc2.bias"] = b2 if b2 is not None else np.zeros(k2.shape[1], np.float32)
    return sd


def is_hdf5(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89HDF\r\n\x1a\n"


def is_torchscript(path):
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def calibration_batch(folder, count):
    """`count` photos spread evenly over the sorted image files under `folder`, as verger feeds VGG16."""
    from PIL import Image

    files = sorted(os.path.join(d, n) for d, _, names in os.walk(folder) for n in names
                   if n.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        raise ValueError(f"calibration folder {folder}: no .jpg/.jpeg/.png files under it")
    picked = [files[i * len(files) // min(count, len(files))] for i in range(min(count, len(files)))]
    batch = []
    for p in picked:
        rgb = np.asarray(Image.open(p).convert("RGB").resize((224, 224), Image.NEAREST), np.float32)
        bgr = rgb[:, :, ::-1] - np.array([103.939, 116.779, 123.68], np.float32)  # Keras "caffe" mode
        batch.append(torch.from_numpy(np.ascontiguousarray(bgr.transpose(2, 0, 1))))
    return torch.stack(batch)


# int8 activation bits: 7 cannot saturate oneDNN's int8 sums on any x86 CPU (see the docstring).
DEFAULT_ACTIVATION_BITS = 7


def quantize_int8(model, folder, count, activation_bits=DEFAULT_ACTIVATION_BITS):
    """Post-training static quantization for oneDNN: observers see `count` calibration photos;
    activations in `activation_bits` (7: PyTorch's reduce_range, safe without VNNI)."""
    from torch.ao.quantization import HistogramObserver, QConfig, QConfigMapping, default_per_channel_weight_observer
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    if "onednn" not in torch.backends.quantized.supported_engines:
        raise ValueError(f"this PyTorch has no oneDNN quantized engine (has {torch.backends.quantized.supported_engines})")
    torch.backends.quantized.engine = "onednn"
    images = calibration_batch(folder, count)
    qconfig = QConfig(activation=HistogramObserver.with_args(reduce_range=activation_bits == 7),
                      weight=default_per_channel_weight_observer)
    # One qconfig for every layer (VGG16 has only conv, ReLU, max-pool and linear layers): the onednn
    # default mapping names conv and linear explicitly, with 8-bit activations.
    mapping = QConfigMapping().set_global(qconfig)
    prepared = prepare_fx(model, mapping, example_inputs=(images[:1],))
    with torch.no_grad():
        for i in range(0, len(images), 16):
            prepared(images[i:i + 16])
    return convert_fx(prepared)


def convert(src, dst, int8_calibration=None, calibration_images=64, activation_bits=DEFAULT_ACTIVATION_BITS):
    model = Vgg16Fc2()
    if is_torchscript(src):
        try:
            model.load_state_dict(torch.jit.load(src).state_dict())
        except RuntimeError as e:
            raise ValueError("not a VGG16-to-fc2 TorchScript from this script (its parameters do not match: "
                             f"{str(e).splitlines()[0]})") from e
    else:
        sd = state_from_keras(read_keras_h5(src)) if is_hdf5(src) else read_onnx(src)
        model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()})
    model.eval()
    if int8_calibration is not None:
        model = quantize_int8(model, int8_calibration, calibration_images, activation_bits)
    scripted = torch.jit.script(model)
    tmp = dst + ".tmp"
    scripted.save(tmp)
    os.replace(tmp, dst)  # atomic: a cache never holds half a model


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="Keras .h5 weights, Keras-exported VGG16 .onnx, or a VGG16 .pt made by this script")
    ap.add_argument("dst", help="output TorchScript .pt")
    ap.add_argument("--int8", metavar="CALIBRATION_DIR", default=None,
                    help="quantize to int8, calibrating on photos under this folder")
    ap.add_argument("--calibration-images", type=int, default=64, metavar="N",
                    help="calibration photos to use (default 64)")
    ap.add_argument("--activation-bits", type=int, choices=(7, 8), default=DEFAULT_ACTIVATION_BITS,
                    help="int8 activation range: 7 (default) is exact on every x86 CPU; 8 only on CPUs with VNNI")
    args = ap.parse_args(argv)
    if args.calibration_images < 1:
        ap.error("--calibration-images must be >= 1")
    try:
        convert(args.src, args.dst, args.int8, args.calibration_images, args.activation_bits)
    except (ValueError, KeyError, OSError, RuntimeError) as e:
        print(f"convert_vgg16.py: {args.src}: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
