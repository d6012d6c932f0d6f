#!/usr/bin/python3
"""Throughput of verger's LibTorch path on VGG16-fc2, ResNet50 and MobileNetV2, in one command.

For each model (random weights: speed only, never pretrained) and precision:
  raw      torch_bench: InferenceBackend::Run on a ready batch, best batch of --batches
  e2e      `verger extract` on fruits-360-10 JPEGs -> CSV at that batch, steady state:
           (N - n0) / (T(N) - T(n0)) from two runs of N and n0 images, so model
           loading and warm-up are excluded; "e2e+load" is N / T(N)
  seed     a seed-style Python loop, one image at a time: Pillow load at 224, numpy
           preprocessing, one forward per image with Debian's python3-torch on the
           same TorchScript network (same threads and OMP_WAIT_POLICY as verger)
  seed-default  the same loop with python3-torch's defaults, as the seed's authors
           would have run it (no thread count set: 1 thread here; default OpenMP wait)
Medians of --reps runs. Prints a Markdown table (also written to --out if given).

Reduced precision gets e2e runs only where its raw speed beats fp32. int8 runs
VGG16 only: scripts/convert_vgg16.py --int8 quantizes it, calibrated on 64
fruits-360-10/Training photos (the fidelity bound is tested by torch_int8_fidelity).

Usage: bench/throughput.py [--build build/release] [--reps 3] [--vgg-limit 500] [--out FILE]
"""
import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(SRC, "..", "shared", "datasets", "fruits-360-10")
PY = "/usr/bin/python3"
PRICE_VCPU_H = 0.192 / 4  # m5.xlarge on-demand us-east-1: $0.192/h for 4 vCPU


def sh(cmd, env=None):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"throughput.py: {' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return r


def prepare_models(work):
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(work, "resnet50-random.json")):
        sh([PY, os.path.join(SRC, "scripts", "make_torch_models.py"), work])
    onnx = os.path.join(work, "vgg16-random.onnx")
    if not os.path.exists(onnx):
        sh([PY, os.path.join(SRC, "scripts", "make_vgg16_onnx.py"), onnx])
    pt = os.path.join(work, "vgg16-random.pt")
    if not os.path.exists(pt):
        sh([PY, os.path.join(SRC, "scripts", "convert_vgg16.py"), onnx, pt])
    int8 = os.path.join(work, "vgg16-int8.pt")
    if not os.path.exists(int8):
        sh([PY, os.path.join(SRC, "scripts", "convert_vgg16.py"), pt, int8, "--int8", os.path.join(DATA, "Training")])
    for name, precision in (("vgg16-random", "fp32"), ("vgg16-int8", "int8")):
        with open(os.path.join(work, name + ".json"), "w") as f:
            json.dump({"name": name, "weights": name + ".pt", "format": "torchscript", "backend": "torch",
                       "precision": precision, "input_name": "input_1", "color_order": "bgr", "normalization": "caffe",
                       "resize_filter": "nearest", "feature_tensor": "fc2", "pooling": "none", "feature_dim": 4096}, f)
    # model -> {precision: spec}; "*" serves every precision without a file of its own.
    return {"VGG16-fc2": {"*": os.path.join(work, "vgg16-random.json"), "int8": os.path.join(work, "vgg16-int8.json")},
            "ResNet50": {"*": os.path.join(work, "resnet50-random.json")},
            "MobileNetV2": {"*": os.path.join(work, "mobilenetv2-random.json")}}


def raw_bench(build, specs, precisions, batches, reps, threads):
    env = dict(os.environ, VERGER_TORCH_BENCH_SPECS=",".join(specs.values()),
               VERGER_TORCH_BENCH_PRECISIONS=",".join(precisions), VERGER_TORCH_BENCH_BATCHES=batches,
               VERGER_TORCH_BENCH_THREADS=str(threads))
    r = sh([os.path.join(build, "bench", "torch_bench"), "--benchmark_format=json",
            f"--benchmark_repetitions={reps}"], env)
    runs = {}  # (spec stem, precision) -> {batch: [img/s per repetition]}
    for b in json.loads(r.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        m = re.match(r"Torch/([^/]+)/([^/]+)/batch:(\d+)", b["run_name"])
        runs.setdefault((m.group(1), m.group(2)), {}).setdefault(int(m.group(3)), []).append(b["items_per_second"])
    return {k: {n: statistics.median(v) for n, v in by.items()} for k, by in runs.items()}


def e2e_run(build, spec, precision, batch, limit, threads, work):
    out = os.path.join(work, "e2e-out")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [os.path.join(build, "src", "cli", "verger"), "extract", "-i",
           os.path.join(DATA, "Training"), "-o", out, "--model", spec,
           "--precision", precision, "--batch", str(batch), "--threads", str(threads), "--limit", str(limit),
           "--format", "csv", "--progress", "none", "--partition-size", "100000"]
    t = time.perf_counter()
    sh(cmd, dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache")))
    return time.perf_counter() - t


SEED = r'''
import sys, time, numpy as np, torch
from PIL import Image
if int(sys.argv[4]) > 0:
    torch.set_num_threads(int(sys.argv[4]))
model = torch.jit.load(sys.argv[1]).eval()
caffe = sys.argv[2] == "caffe"
paths = sys.argv[5:]
def features(p):
    img = Image.open(p).convert("RGB").resize((224, 224), Image.NEAREST if caffe else Image.BILINEAR)
    x = np.asarray(img, np.float32)
    if caffe:
        x = x[:, :, ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    else:
        x = (x / 255 - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None])))
    return out.mean((2, 3)).numpy() if out.dim() == 4 else out.numpy()
for p in paths[:2]: features(p)  # warm-up
t = time.perf_counter()
for p in paths[2:]: features(p)
print((len(paths) - 2) / (time.perf_counter() - t))
'''


def seed_run(spec_path, n, threads):
    """img/s of the seed-style loop; threads 0 = python3-torch's defaults (threads and OpenMP waiting)."""
    with open(spec_path) as f:
        spec = json.load(f)
    pt = os.path.join(os.path.dirname(spec_path), spec["weights"])
    imgs = sorted(glob.glob(os.path.join(DATA, "Training", "*", "*.jpg")))
    env = dict(os.environ)
    if threads == 0:
        env.pop("OMP_WAIT_POLICY", None)
    r = sh([PY, "-c", SEED, pt, spec["normalization"], "", str(threads)] + imgs[:n + 2], env)
    return float(r.stdout.strip())


def load():
    return os.getloadavg()[0]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build", "release"))
    ap.add_argument("--work", default=None, help="models and scratch (default BUILD/bench-torch)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="8,16,32")
    ap.add_argument("--precisions", default="fp32,bf16,int8")
    ap.add_argument("--vgg-limit", type=int, default=500)
    ap.add_argument("--resnet-limit", type=int, default=1000)
    ap.add_argument("--limit", type=int, default=3000, help="images per e2e run for MobileNetV2")
    ap.add_argument("--e2e-seconds", type=float, default=10,
                    help="e2e runs use at least raw img/s x this many images (default 10)")
    ap.add_argument("--seed-images", type=int, default=40, help="images per seed-baseline run (VGG: a quarter)")
    ap.add_argument("--models", default="VGG16-fc2,ResNet50,MobileNetV2")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    work = args.work or os.path.join(args.build, "bench-torch")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    load_before = load()
    specs = {k: v for k, v in prepare_models(work).items() if k in args.models.split(",")}
    precisions = args.precisions.split(",")
    rows = []
    for model, by_precision in specs.items():
        spec = by_precision["*"]
        n_seed = max(4, args.seed_images // (4 if "VGG" in model else 1))
        seed = statistics.median(seed_run(spec, n_seed, args.threads) for _ in range(args.reps))
        seed_default = statistics.median(seed_run(spec, n_seed, 0) for _ in range(args.reps))
        fp32_raw = 0.0
        for precision in precisions:
            if precision == "int8" and "int8" not in by_precision:
                continue  # no quantized model for this network
            spec = by_precision.get(precision, by_precision["*"])
            stem = os.path.splitext(os.path.basename(spec))[0]
            # Raw right before its e2e runs: on a shared machine the load drifts.
            by_batch = raw_bench(args.build, {model: spec}, [precision], args.batches, args.reps,
                                 args.threads)[(stem, precision)]
            batch, raw_ips = max(by_batch.items(), key=lambda kv: kv[1])
            if precision == "fp32":
                fp32_raw = raw_ips
            elif raw_ips <= fp32_raw:
                # Reduced precision is only worth shipping where it is faster: raw only.
                rows.append([model, precision, batch, raw_ips] + [None] * 9)
                continue
            n = {"VGG16-fc2": args.vgg_limit, "ResNet50": args.resnet_limit}.get(model, args.limit)
            n = max(n, int(raw_ips * args.e2e_seconds))  # faster precisions need more images for a steady rate
            n0 = max(2 * batch, n // 5)
            full, steady = [], []
            for _ in range(args.reps):
                t_small = e2e_run(args.build, spec, precision, batch, n0, args.threads, work)
                t_full = e2e_run(args.build, spec, precision, batch, n, args.threads, work)
                full.append(n / t_full)
                steady.append((n - n0) / max(1e-9, t_full - t_small))
            e2e, e2e_load = statistics.median(steady), statistics.median(full)
            per_vcpu_h = e2e * 3600 / args.threads
            rows.append([model, precision, batch, raw_ips, e2e, e2e_load, e2e / raw_ips, seed, e2e / seed,
                         seed_default, e2e / seed_default, per_vcpu_h, 1e6 / per_vcpu_h * PRICE_VCPU_H])
            print(rows[-1], file=sys.stderr, flush=True)
    load_after = load()
    lines = [f"| model | precision | batch | raw img/s | e2e img/s | e2e+load img/s | e2e/raw | seed img/s | "
             f"speed-up vs seed | seed-default img/s | speed-up vs seed-default | img per vCPU-hour | $ per 1M images |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r[4] is None:
            lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | slower than fp32: not run | | | | | | | | |")
            continue
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.2f} | {r[7]:.1f} | "
                     f"{r[8]:.1f}x | {r[9]:.1f} | {r[10]:.1f}x | {r[11]:,.0f} | ${r[12]:.3f} |")
    lines.append("")
    lines.append(f"{args.threads} threads, medians of {args.reps} runs, {os.cpu_count()} vCPU; load average "
                 f"{load_before:.1f} before, {load_after:.1f} after; price ${PRICE_VCPU_H:.3f} per vCPU-hour "
                 f"(m5.xlarge on-demand us-east-1, $0.192/h for 4 vCPU).")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
