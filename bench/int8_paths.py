#!/usr/bin/python3
"""How the shipped int8 MobileNetV2 could run on LibTorch, measured: why verger runs it on exact levels.

verger's torch import of `mobilenetv2-12-int8.onnx` runs it in float32 on exact integer levels with
OpenCV DNN's rounding (docs/models.md). The faster alternative is LibTorch's own int8 kernels
(quantized::conv2d / quantized::add, engines oneDNN and QNNPACK in Debian's python3-torch). This
harness measures both things that decide between them, on the machine it runs on:

  per layer   every QLinearConv / QLinearAdd of the graph fed the exact levels of the layer before,
              run by each engine's int8 kernel: the share of output levels that differ from exact
              integer arithmetic (int32 sums, float32 multiplier, ties to even), and the largest
              difference. oneDNN without VNNI multiplies with vpmaddubsw, whose int16 pair sums
              saturate: whole levels go wrong, not just ties.
  network     each engine's kernels chained through the network (and exact integer arithmetic with
              ties to even everywhere): cosine of the pooled 1,280-d features to the OpenCV DNN
              reference of tests/model/reference_features.py. Issue 12's bound: min >= 0.995, mean
              >= 0.999. A level that rounds the other way early in the network changes many levels
              30 layers later, so only OpenCV's own rounding stays inside it.
  speed       raw img/s at --batch of each engine's chained kernels, and of float32 MobileNetV2
              (torchvision, random weights, frozen + optimize_for_inference): the ceiling of any
              float32 path on this CPU, which verger's exact-levels import already sits near.

Prints Markdown (also written to --out) with the CPU it ran on. Needs python3-torch, -torchvision,
-onnx, -opencv and the shared data.

Usage: bench/int8_paths.py [--photos 16] [--batch 32] [--threads 2] [--reps 3] [--out FILE]
"""
import argparse
import glob
import os
import statistics
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "model"))
import reference_features  # noqa: E402
from scale import emit_report  # noqa: E402
from throughput import DATA, cpu_info, cpu_line  # noqa: E402

ENGINES = [e for e in ("onednn", "qnnpack") if e in torch.backends.quantized.supported_engines]


class Int8Graph:
    """The int8 ONNX graph up to the pooled features, as exact arithmetic or LibTorch int8 kernels."""

    def __init__(self, path, stop="627_quantized"):
        g = onnx.load(path).graph
        self.init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.nodes = []
        for n in g.node:
            self.nodes.append(n)
            if stop in n.output:
                break
        self.stop = stop
        self.packed = {}

    def attrs(self, n):
        return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}

    def prepack(self, engine):
        """quantized::conv2d weights packed for `engine`, keyed by node name."""
        torch.backends.quantized.engine = engine
        self.packed = {}
        for n in self.nodes:
            if n.op_type != "QLinearConv":
                continue
            a, w, ws = self.attrs(n), self.init[n.input[3]], self.init[n.input[4]].astype(np.float64)
            xs = float(self.init[n.input[1]])
            wq = torch._make_per_channel_quantized_tensor(torch.from_numpy(w), torch.from_numpy(ws),
                                                          torch.zeros(len(ws), dtype=torch.long), 0)
            bias = torch.from_numpy((self.init[n.input[8]] * xs * ws).astype(np.float32))
            self.packed[n.name] = torch.ops.quantized.conv2d_prepack(wq, bias, a.get("strides", [1, 1]),
                                                                     a.get("pads", [0] * 4)[:2], [1, 1],
                                                                     a.get("group", 1))

    def exact_conv(self, n, qx):
        a, w = self.attrs(n), self.init[n.input[3]]
        xz = int(self.init[n.input[2]])
        ws, xs = self.init[n.input[4]].astype(np.float32), np.float32(self.init[n.input[1]])
        ys, yz = np.float32(self.init[n.input[6]]), int(self.init[n.input[7]])
        # Integer levels in float32: every partial sum is an integer below 2^24, so exact in any order.
        acc = torch.nn.functional.conv2d(qx.int_repr().float() - xz, torch.from_numpy(w).float(),
                                         torch.from_numpy(self.init[n.input[8]]).float(), a.get("strides", [1, 1]),
                                         a.get("pads", [0] * 4)[:2], 1, a.get("group", 1)).double()
        mult = torch.from_numpy(xs * ws / ys).double().view(1, -1, 1, 1)  # float32 ratio, as OpenCV
        levels = torch.clamp(torch.round((acc * mult).float()) + yz, 0, 255)
        return torch._make_per_tensor_quantized_tensor(levels.to(torch.uint8), float(ys), yz)

    def exact_add(self, n, qa, qb):
        f = lambda q, s, z: (q.int_repr().float() - int(self.init[z])) * np.float32(self.init[s])  # noqa: E731
        total = f(qa, n.input[1], n.input[2]) + f(qb, n.input[4], n.input[5])
        cs, cz = np.float32(self.init[n.input[6]]), int(self.init[n.input[7]])
        levels = torch.clamp(torch.round(total * (np.float32(1) / cs)) + cz, 0, 255)
        return torch._make_per_tensor_quantized_tensor(levels.to(torch.uint8), float(cs), cz)

    def kernel_conv(self, n, qx):
        return torch.ops.quantized.conv2d(qx, self.packed[n.name], float(self.init[n.input[6]]),
                                          int(self.init[n.input[7]]))

    def kernel_add(self, n, qa, qb):
        return torch.ops.quantized.add(qa, qb, float(self.init[n.input[6]]), int(self.init[n.input[7]]))

    def run(self, x, kernels, compare=None):
        """Pooled float features; `kernels` picks the int8 kernels (else exact arithmetic).
        compare(name, kernel_out, exact_out) is called per layer, fed exact inputs (then the chain is exact)."""
        vals = {}
        for n in self.nodes:
            if n.op_type == "QuantizeLinear":
                vals[n.output[0]] = torch.quantize_per_tensor(
                    x.contiguous(memory_format=torch.channels_last), float(self.init[n.input[1]]),
                    int(self.init[n.input[2]]), torch.quint8)
                continue
            if n.op_type == "QLinearConv":
                args = (n, vals[n.input[0]])
                kernel_fn, exact_fn = self.kernel_conv, self.exact_conv
            elif n.op_type == "QLinearAdd":
                args = (n, vals[n.input[0]], vals[n.input[3]])
                kernel_fn, exact_fn = self.kernel_add, self.exact_add
            else:
                raise SystemExit(f"int8_paths: unexpected op {n.op_type} before {self.stop}")
            if compare:
                exact = exact_fn(*args)
                compare(n, kernel_fn(*args), exact)
                vals[n.output[0]] = exact
            else:
                vals[n.output[0]] = (kernel_fn if kernels else exact_fn)(*args)
        out = vals[self.stop]
        return out.dequantize().mean((2, 3)).numpy()


def chunked(fn, x, size=32):
    """fn over x in batches of `size` (the exact path holds a float64 copy of each layer)."""
    return np.concatenate([fn(x[i:i + size]) for i in range(0, x.shape[0], size)])


def cosines(a, b):
    return np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def timed(fn, x, reps):
    with torch.no_grad():
        fn(x)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t)
    return x.shape[0] / statistics.median(times)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=200,
                    help="fruits-360-10/Test photos, spread over the classes (1609: all; default 200)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    file, order, norm, resample, layer = reference_features.MODELS["mobilenetv2"]
    model = os.path.join(reference_features.models_dir(), file)
    photos = sorted(glob.glob(os.path.join(DATA, "Test", "*", "*.jpg")))
    photos = photos[::max(1, len(photos) // args.photos)][:args.photos]
    x = torch.from_numpy(np.concatenate([reference_features.preprocess(p, order, norm, resample) for p in photos]))
    want = reference_features.features("mobilenetv2", photos)
    graph = Int8Graph(model)
    lines = [f"CPU: {cpu_line(cpu_info())}", "",
             f"Per layer ({len(photos)} photos; each layer fed exact levels): output levels that differ from exact "
             "integer arithmetic", "", "| engine | layers with any difference | worst layer: share differing | "
             "largest difference (levels) |", "|---|---|---|---|"]
    for engine in ENGINES:
        graph.prepack(engine)
        differing, largest, count = {}, {}, {}

        def compare(n, got, exact):
            d = (got.int_repr().int() - exact.int_repr().int()).abs()
            differing[n.name] = differing.get(n.name, 0) + int((d > 0).sum())
            count[n.name] = count.get(n.name, 0) + d.numel()
            largest[n.name] = max(largest.get(n.name, 0), int(d.max()))

        chunked(lambda c: graph.run(c, True, compare), x)
        share = {k: differing[k] / count[k] for k in count}
        worst = max(share, key=share.get)
        lines.append(f"| {engine} | {sum(v > 0 for v in share.values())} of {len(share)} | {share[worst] * 100:.3f}% "
                     f"({worst}) | {max(largest.values())} |")
    lines += ["", f"Whole network against the OpenCV DNN reference ({len(photos)} photos; bound: min >= 0.995, "
              "mean >= 0.999) and raw speed at batch " + str(args.batch), "",
              "| path | cosine min | cosine mean | raw img/s |", "|---|---|---|---|"]
    xb = x.repeat((args.batch + len(photos) - 1) // len(photos), 1, 1, 1)[:args.batch].contiguous()
    exact = cosines(chunked(lambda c: graph.run(c, False), x), want)
    lines.append(f"| exact integers, ties to even everywhere (not OpenCV's depthwise rule) | {exact.min():.5f} | "
                 f"{exact.mean():.6f} | (reference arithmetic, not timed) |")
    for engine in ENGINES:
        graph.prepack(engine)
        c = cosines(chunked(lambda c: graph.run(c, True), x), want)
        ips = timed(lambda b: graph.run(b, True), xb, args.reps)
        lines.append(f"| LibTorch int8 kernels, {engine} | {c.min():.5f} | {c.mean():.6f} | {ips:.1f} |")
    import torchvision  # noqa: E402  (only for the float32 ceiling)
    fp32 = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(
        torchvision.models.mobilenet_v2(weights=None).eval())))
    lines.append(f"| float32 MobileNetV2 (torchvision, random weights), frozen + optimize_for_inference | - | - | "
                 f"{timed(fp32, xb, args.reps):.1f} |")
    lines += ["", f"{args.threads} threads, medians of {args.reps} runs; python3-torch {torch.__version__}; load "
              f"average {os.getloadavg()[0]:.1f} at the end."]
    emit_report("\n".join(lines) + "\n", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
