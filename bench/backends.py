#!/usr/bin/python3
"""End-to-end images/s of every built-in network and of four torchvision ONNX exports, on both backends.

For each network, `verger extract` on fruits-360-10/Training photos -> CSV, once with `--backend torch`
(the ONNX graph imported into LibTorch) and once with `--backend opencv` (OpenCV DNN), each at its
backend's default batch (LibTorch 32, OpenCV 1), in the same run:

  mobilenetv2, squeezenet   the built-ins (shipped int8 / fp32 ONNX files)
  vgg16                     the built-in spec with Keras-layout random weights in ONNX
                            (scripts/make_vgg16_onnx.py; the real weights are not shipped)
  resnet50, mobilenet_v2, efficientnet_b0, densenet121
                            torchvision with random weights, exported to ONNX by python3-torch (as
                            tests/torch/test_onnx_torchvision.py does; cached in BUILD/fixtures), features
                            at the tensor the final global pooling reads, avg-pooled

img/s is steady state: (N - n0) / (T(N) - T(n0)) from runs of N and n0 = N/5 images, so model loading,
ONNX import (cached after the first run) and warm-up are left out. Medians of --reps. The CPU (model
and SIMD flags from lscpu) heads the output; the ratio column is torch / opencv.

Usage: bench/backends.py [--build build/release] [--reps 1] [--scale 1.0] [--models a,b] [--out F] [--json F]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "torch"))
from scale import emit_report  # noqa: E402
from throughput import DATA, PY, SRC, cpu_info, cpu_line, sh  # noqa: E402

# name: images per run at --scale 1
NETWORKS = {"mobilenetv2": 600, "squeezenet": 1500, "vgg16": 120, "resnet50": 250, "mobilenet_v2": 500,
            "efficientnet_b0": 400, "densenet121": 250}

POOLED_CHANNELS = {"resnet50": 2048, "mobilenet_v2": 1280, "efficientnet_b0": 1280, "densenet121": 1024}


def spec_for(name, work, build):
    """--model argument(s) for the network, making files as needed."""
    if name in ("mobilenetv2", "squeezenet"):
        return ["--model", name]
    if name == "vgg16":
        onnx = os.path.join(work, "vgg16-random.onnx")
        if not os.path.exists(onnx):
            sh([PY, os.path.join(SRC, "scripts", "make_vgg16_onnx.py"), onnx])
        return ["--model", "vgg16", "--weights", onnx]
    import test_onnx_torchvision as tv  # noqa: E402  (python3-torch: only for the exports)
    folder = os.path.join(build, "fixtures", "onnx-torchvision")  # the test's cache
    os.makedirs(folder, exist_ok=True)
    path, _ = tv.export(name, folder)
    tensor, channels = tv.pooled_tensor(path), POOLED_CHANNELS[name]
    spec = os.path.join(work, name + "-bench.json")
    with open(spec, "w") as f:
        json.dump({"name": name, "weights": path, "input_name": "input", "color_order": "rgb",
                   "normalization": "torch", "resize_filter": "bilinear", "feature_tensor": tensor,
                   "pooling": "avg", "feature_dim": channels}, f)
    return ["--model", spec]


def extract(build, model_args, backend, limit, threads, work):
    """(command, environment) of one `verger extract` into a fresh WORK/out, sharing WORK/cache."""
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [os.path.join(build, "src", "cli", "verger"), "extract", "-i", os.path.join(DATA, "Training"), "-o", out,
           *model_args, "--backend", backend, "--threads", str(threads), "--limit", str(limit), "--format", "csv",
           "--progress", "none", "--partition-size", "100000"]
    return cmd, dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))


def cannot_run(build, model_args, backend, threads, work):
    """None if the backend runs the network (2 images: also imports and caches it, untimed), else why not."""
    cmd, env = extract(build, model_args, backend, 2, threads, work)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode == 0:
        return None
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("verger: error")] or r.stderr.splitlines()[-1:]
    if not lines:
        return f"exit {r.returncode}"
    node = lines[0].find("Node [")  # OpenCV's ONNX importer: the node and what it expected is the useful part
    return lines[0][:160] + (" ... " + lines[0][node:node + 400] if node > 160 else lines[0][160:400])


def run(build, model_args, backend, limit, threads, work):
    """(seconds, manifest) of one extract."""
    cmd, env = extract(build, model_args, backend, limit, threads, work)
    t = time.perf_counter()
    sh(cmd, env)
    seconds = time.perf_counter() - t
    with open(os.path.join(work, "out", "manifest.json")) as f:
        return seconds, json.load(f)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build", "release"))
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every network's image count")
    ap.add_argument("--models", default=",".join(NETWORKS), help="comma-separated subset of " + ", ".join(NETWORKS))
    ap.add_argument("--out", default=None, help="Markdown output")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    args.build = os.path.abspath(args.build)  # spec files name their weights by absolute path
    work = os.path.join(args.build, "bench-backends")
    os.makedirs(work, exist_ok=True)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.models.split(","):
        if name not in NETWORKS:
            sys.exit(f"backends.py: unknown network {name!r}; choose from {', '.join(NETWORKS)}")
        model_args = spec_for(name, work, args.build)
        n = max(10, int(NETWORKS[name] * args.scale))
        n0 = max(2, n // 5)
        row = {"network": name, "images": n, "steady_images": n - n0}
        for backend in ("torch", "opencv"):
            why = cannot_run(args.build, model_args, backend, args.threads, work)
            if why:
                row[backend] = {"images_per_s": None, "error": why}
                print(name, backend, "cannot run:", why, file=sys.stderr, flush=True)
                continue
            rates = []
            for _ in range(args.reps):
                t0, _ = run(args.build, model_args, backend, n0, args.threads, work)
                t1, manifest = run(args.build, model_args, backend, n, args.threads, work)
                rates.append((n - n0) / max(1e-9, t1 - t0))
            row[backend] = {"images_per_s": statistics.median(rates), "runs": rates, "batch": manifest["batch"],
                            "description": manifest["backend"]}
            print(name, backend, rates, file=sys.stderr, flush=True)
        ips = [row[b]["images_per_s"] for b in ("torch", "opencv")]
        row["ratio"] = ips[0] / ips[1] if None not in ips else None
        rows.append(row)
    cpu = cpu_info()
    lines = [f"CPU: {cpu_line(cpu)}", "",
             "| network | torch img/s | opencv img/s | torch / opencv | images (steady part) | torch backend as run |",
             "|---|---|---|---|---|---|"]
    def cell(b):
        return f"{b['images_per_s']:.1f}" if b["images_per_s"] is not None else "cannot run (below)"

    for r in rows:
        t = r["torch"]
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] else "-"
        how = t.get("description", "-") + (f", batch {t['batch']}" if "batch" in t else "")
        lines.append(f"| {r['network']} | {cell(t)} | {cell(r['opencv'])} | {ratio} | "
                     f"{r['images']} ({r['steady_images']}) | {how} |")
    for r in rows:
        for b in ("torch", "opencv"):
            if r[b].get("error"):
                lines.append(f"\n{r['network']} on {b}: {r[b]['error']}")
    lines += ["", f"{args.threads} threads, medians of {args.reps} run(s); OpenCV DNN at its default batch (1); "
              f"load average {load_before:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after."]
    emit_report("\n".join(lines) + "\n", args.out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
