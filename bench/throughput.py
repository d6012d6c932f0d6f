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
  demo     the job scripts/demo runs (`verger run`, built-in mobilenetv2, fruits-360-10/Training,
           PCA to 95% variance) with the default backend (auto) and with --backend opencv, in
           the same run: wall-clock images/s (N / T, model loading and PCA included), the
           backend that ran and why (manifest.json), and the ratio auto/opencv
Medians of --reps runs. Every output names the CPU (lscpu model, family/model, and whether it has
avx2, avx512f, avx512_vnni, avx_vnni, avx512_bf16, amx_bf16, amx_int8) and the instruction set
oneDNN picked (ONEDNN_VERBOSE): int8 and bf16 speed depend on it. Prints a Markdown table (also
written to --out) and writes everything measured as JSON to --json.

Reduced precision gets e2e runs only where its raw speed beats fp32. int8 runs
VGG16 only: scripts/convert_vgg16.py --int8 quantizes it, calibrated on 64
fruits-360-10/Training photos (the fidelity bound is tested by torch_int8_fidelity).

Usage: bench/throughput.py [--build build/release] [--reps 3] [--vgg-limit 500] [--out FILE] [--json FILE]
       bench/throughput.py --models demo --demo-limit 600     # the demo comparison only
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

from scale import emit_report  # bench/: the shared --out writer

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


CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu_info():
    """What the figures depend on: lscpu's model name, family/model numbers, and the SIMD flags that
    decide oneDNN's fp32/bf16/int8 kernels."""
    fields = {}
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("Flags", "").split())
    return {"model_name": fields.get("Model name", "unknown"), "vendor": fields.get("Vendor ID", ""),
            "family": fields.get("CPU family", ""), "model": fields.get("Model", ""),
            "hypervisor": fields.get("Hypervisor vendor", ""), "vcpus": os.cpu_count(),
            "flags": {f: f in flags for f in CPU_FLAGS}}


def cpu_line(cpu):
    have = [f for f, on in cpu["flags"].items() if on]
    lack = [f for f, on in cpu["flags"].items() if not on]
    line = (f"{cpu['model_name']} (family {cpu['family']} model {cpu['model']}, {cpu['vcpus']} vCPU"
            f"{', ' + cpu['hypervisor'] + ' guest' if cpu['hypervisor'] else ''}); has: {', '.join(have) or 'none'}; "
            f"lacks: {', '.join(lack) or 'none'}")
    if cpu.get("onednn_isa"):
        line += f"; oneDNN ISA: {cpu['onednn_isa']}"
    return line


def onednn_isa(build, spec, precision, work):
    """The instruction set oneDNN dispatches to here, from its verbose log of one tiny extract."""
    out = os.path.join(work, "isa-out")
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1", XDG_CACHE_HOME=os.path.join(work, "cache"))
    r = subprocess.run([os.path.join(build, "src", "cli", "verger"), "extract", "-i", os.path.join(DATA, "Training"),
                        "-o", out, "--model", spec, "--precision", precision, "--limit", "2", "--threads", "1",
                        "--format", "csv", "--progress", "none"], env=env, capture_output=True, text=True)
    isa = sorted({m.group(1).strip() for m in re.finditer(r"(?:onednn|dnnl)_verbose,info,cpu,isa:(.*)", r.stdout)})
    kernels = sorted({m.group(1) for m in re.finditer(r"(?:onednn|dnnl)_verbose,exec,cpu,\w+,([^,]+),", r.stdout)})
    return "; ".join(isa) + (f" (kernels: {', '.join(kernels[:6])})" if kernels else "")


def demo_run(build, backend, limit, threads, work):
    """(images/s wall clock, manifest) of scripts/demo's `verger run`; backend None = the default."""
    out = os.path.join(work, "demo-out")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [os.path.join(build, "src", "cli", "verger"), "run", "--input", os.path.join(DATA, "Training"),
           "--output", out, "--model", "mobilenetv2", "--variance", "0.95", "--threads", str(threads),
           "--progress", "none", "--limit", str(limit)]
    if backend:
        cmd += ["--backend", backend]
    t = time.perf_counter()
    sh(cmd, dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache")))
    wall = time.perf_counter() - t
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    return manifest["images"]["ok"] / wall, manifest


def demo(build, limit, reps, threads, work):
    """scripts/demo's job with the default backend and with --backend opencv, alternating runs."""
    runs = {"auto (default)": [], "opencv": []}
    last = {}
    for _ in range(reps):
        for label, backend in (("auto (default)", None), ("opencv", "opencv")):
            ips, m = demo_run(build, backend, limit, threads, work)
            runs[label].append(ips)
            last[label] = m
            print(["demo", label, ips], file=sys.stderr, flush=True)
    rows = []
    for label, ips in runs.items():
        m = last[label]
        rows.append({"job": label, "images": m["images"]["ok"], "images_per_s": statistics.median(ips),
                     "runs": ips, "backend": m["backend"], "backend_reason": m.get("backend_reason", ""),
                     "batch": m["batch"], "extract_images_per_s": m["images_per_s"]})
    return rows, rows[0]["images_per_s"] / rows[1]["images_per_s"]


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
    ap.add_argument("--models", default="demo,VGG16-fc2,ResNet50,MobileNetV2",
                    help="any of demo, VGG16-fc2, ResNet50, MobileNetV2 (comma-separated)")
    ap.add_argument("--demo-limit", type=int, default=0, help="images per demo run (0 = all 4,814, as scripts/demo)")
    ap.add_argument("--out", default=None, help="Markdown output")
    ap.add_argument("--json", default=None, help="JSON output: CPU, rows, demo, load")
    args = ap.parse_args(argv)
    work = args.work or os.path.join(args.build, "bench-torch")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    load_before = load()
    wanted = args.models.split(",")
    specs = {k: v for k, v in prepare_models(work).items() if k in wanted} if set(wanted) - {"demo"} else {}
    precisions = args.precisions.split(",")
    cpu = cpu_info()
    if specs:
        any_spec = next(iter(specs.values()))
        isa_precision = "int8" if "int8" in any_spec and "int8" in precisions else "fp32"
        cpu["onednn_isa"] = onednn_isa(args.build, any_spec.get(isa_precision, any_spec["*"]), isa_precision, work)
    print("CPU:", cpu_line(cpu), file=sys.stderr, flush=True)
    demo_rows, demo_ratio = demo(args.build, args.demo_limit, args.reps, args.threads, work) if "demo" in wanted \
        else ([], None)
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
                rows.append([model, precision, batch, raw_ips] + [None] * 9 + [by_batch])
                continue
            n = {"VGG16-fc2": args.vgg_limit, "ResNet50": args.resnet_limit}.get(model, args.limit)
            n = max(n, int(raw_ips * args.e2e_seconds))  # faster precisions need more images for a steady rate
            n0 = max(2 * batch, n // 5)
            n = max(n, 3 * n0)  # a small --*-limit must still leave a steady part to measure
            full, steady = [], []
            for _ in range(args.reps):
                t_small = e2e_run(args.build, spec, precision, batch, n0, args.threads, work)
                t_full = e2e_run(args.build, spec, precision, batch, n, args.threads, work)
                full.append(n / t_full)
                steady.append((n - n0) / max(1e-9, t_full - t_small))
            e2e, e2e_load = statistics.median(steady), statistics.median(full)
            per_vcpu_h = e2e * 3600 / args.threads
            rows.append([model, precision, batch, raw_ips, e2e, e2e_load, e2e / raw_ips, seed, e2e / seed,
                         seed_default, e2e / seed_default, per_vcpu_h, 1e6 / per_vcpu_h * PRICE_VCPU_H, by_batch])
            print(rows[-1], file=sys.stderr, flush=True)
    load_after = load()
    lines = [f"CPU: {cpu_line(cpu)}", ""]
    if demo_rows:
        lines += ["| demo job (`verger run`, built-in mobilenetv2) | backend that ran | batch | images | "
                  "img/s (wall, load + PCA included) |", "|---|---|---|---|---|"]
        lines += [f"| {r['job']} | {r['backend_reason']} | {r['batch']} | {r['images']} | {r['images_per_s']:.1f} |"
                  for r in demo_rows]
        lines += ["", f"Demo speed-up, default backend vs --backend opencv: {demo_ratio:.2f}x"]
        if demo_rows[0]["backend"] == demo_rows[1]["backend"]:
            lines.append("(both ran the same backend: the ratio only measures noise)")
        lines.append("")
    lines += [f"| model | precision | batch | raw img/s | e2e img/s | e2e+load img/s | e2e/raw | seed img/s | "
             f"speed-up vs seed | seed-default img/s | speed-up vs seed-default | img per vCPU-hour | $ per 1M images |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if not rows:
        lines = lines[:-2]
    for r in rows:
        if r[4] is None:
            lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | slower than fp32: not run | | | | | | | | |")
            continue
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.2f} | {r[7]:.1f} | "
                     f"{r[8]:.1f}x | {r[9]:.1f} | {r[10]:.1f}x | {r[11]:,.0f} | ${r[12]:.3f} |")
    lines.append("")
    if rows:
        lines += [f"Raw img/s by batch: {r[0]} {r[1]}: " + ", ".join(f"{b}: {v:.1f}" for b, v in sorted(r[13].items()))
                  for r in rows] + [""]
    lines.append(f"{args.threads} threads, medians of {args.reps} runs, {os.cpu_count()} vCPU; load average "
                 f"{load_before:.1f} before, {load_after:.1f} after; price ${PRICE_VCPU_H:.3f} per vCPU-hour "
                 f"(m5.xlarge on-demand us-east-1, $0.192/h for 4 vCPU).")
    emit_report("\n".join(lines) + "\n", args.out)
    if args.json:
        keys = ["model", "precision", "batch", "raw", "e2e", "e2e_load", "e2e_over_raw", "seed", "speedup_vs_seed",
                "seed_default", "speedup_vs_seed_default", "images_per_vcpu_hour", "usd_per_million", "raw_by_batch"]
        with open(args.json, "w") as f:
            json.dump({"command": " ".join(sys.argv), "cpu": cpu, "threads": args.threads, "reps": args.reps,
                       "load_average": [load_before, load_after], "demo": demo_rows, "demo_speedup": demo_ratio,
                       "rows": [dict(zip(keys, r)) for r in rows]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
