#!/usr/bin/python3
"""Per-core throughput of cluster mode against the local command, in one command.

Runs the same job twice over the first --limit images of fruits-360-10/Training, alternating, --reps
times: `verger run` and `verger-dask --local-workers 1` (a LocalCluster of one worker process), both
with --threads 1 on the same model and backend (default: built-in squeezenet on --backend torch). Each
manifest's timeline records when every partition started and finished; per-core throughput is

    images / sum over partitions of (finished - started)

so both figures count the extract work alone, on one thread, without process or cluster start-up,
PCA or the client's own work. Their ratio (Dask / local) shows whether the process tuning verger
applies (malloc settings, OpenMP waiting policy, thread pinning) reaches the workers. Wall-clock
images/s of each whole command are reported beside it.

Usage: bench/dask_per_core.py [--build build/release] [--limit 600] [--model squeezenet]
                              [--backend torch] [--partition-size 100] [--reps 3] [--out FILE.md]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import built, cpu_description, emit_report  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def extract_seconds(out):
    """Sum of the partitions' compute spans, from the manifest's timeline."""
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    timeline = m.get("timeline") or m.get("features", {}).get("timeline")
    if not timeline:
        sys.exit(f"dask_per_core.py: {out}/manifest.json has no partition timeline")
    images = sum(t["images"] for t in timeline)
    return images, sum(t["finished_at"] - t["started_at"] for t in timeline), m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build", "release"))
    ap.add_argument("--shared", default=os.environ.get("VERGER_SHARED_DIR", os.path.join(SRC, "..", "shared")))
    ap.add_argument("--limit", type=int, default=600)
    ap.add_argument("--model", default="squeezenet")
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--partition-size", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    verger = built(build, "verger")
    images = os.path.join(args.shared, "datasets", "fruits-360-10", "Training")
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
    work = tempfile.mkdtemp(prefix="verger_dask_per_core_")
    common = ["--input", images, "--model", args.model, "--backend", args.backend, "--threads", "1",
              "--partition-size", str(args.partition_size), "--limit", str(args.limit), "--format", "parquet",
              "--components", "4", "--overwrite", "--progress", "none"]
    commands = {
        "local": lambda out: [verger, "run", "--output", out, *common],
        "dask": lambda out: [PY, "-m", "verger.dask", "--local-workers", "1", "--output", out, *common],
    }
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    per_core = {k: [] for k in commands}
    wall = {k: [] for k in commands}
    backend = {}
    try:
        for _ in range(args.reps):
            for name, command in commands.items():
                out = os.path.join(work, name)
                t0 = time.monotonic()
                p = subprocess.run(command(out), env=env, capture_output=True, text=True)
                elapsed = time.monotonic() - t0
                if p.returncode != 0:
                    sys.exit(f"dask_per_core.py: {name} exited {p.returncode}: {p.stderr[-2000:]}")
                n, seconds, manifest = extract_seconds(out)
                per_core[name].append(n / seconds)
                wall[name].append(n / elapsed)
                backend[name] = manifest.get("backend") or manifest.get("features", {}).get("backend")
                print(f"dask_per_core: {name}: {n} images, extract {seconds:.1f} s ({n / seconds:.1f} img/s per "
                      f"core), whole command {elapsed:.1f} s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cpu = cpu_description()
    med = {k: statistics.median(v) for k, v in per_core.items()}
    text = (f"Measured {started} on {cpu['model']} ({cpu['vcpus']} vCPU; flags: {', '.join(cpu['flags']) or 'none of avx2, avx512, amx, avx_vnni'}), "
            f"{args.limit} Training images, {args.model} on --backend {args.backend}, --threads 1, partitions of "
            f"{args.partition_size}, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
            f"medians of {args.reps}.\n\n"
            "| command | backend that ran | extract img/s per core | whole command img/s |\n|---|---|---|---|\n")
    for name in commands:
        label = "`verger run`" if name == "local" else "`verger-dask --local-workers 1`"
        text += (f"| {label} | {backend.get(name)} | {med[name]:.1f} | "
                 f"{statistics.median(wall[name]):.1f} |\n")
    text += f"\nPer-core ratio, Dask / local: **{med['dask'] / med['local']:.2f}x**.\n"
    emit_report(text, args.out)


if __name__ == "__main__":
    main()
