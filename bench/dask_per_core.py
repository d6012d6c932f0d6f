#!/usr/bin/python3
"""Per-core throughput of cluster mode against the local command, in one command.

Runs the same job twice over the first --limit images of fruits-360-10/Training, alternating, --reps
times, on the same model and backend (default: built-in squeezenet on --backend torch), verger
--threads 1 both times:
  local  `verger run`; its manifest's timeline records when each partition started and finished;
  dask   `verger.cluster.run_job` (what `verger-dask --scheduler` runs) on a real `dask scheduler` and one
         `dask worker --nthreads 1` process started here; Dask's task stream records each extract task.
Per-core throughput is images / the summed compute time of the partitions (timeline spans, or extract
task spans) after the first (whose task on a worker also loads the model), so both count the steady
extract work on one thread, without process or cluster start-up, model loading, PCA or the client's own
work. Their ratio (Dask / local) shows whether the process tuning verger applies in
the library (malloc settings, OpenMP waiting policy, the thread count on every calling thread) reaches
the workers. The workers run as docs/cluster.md recommends, without Dask's statistical profiler
(DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False; `verger-dask --local-workers` does the same).
Wall-clock images/s of each whole job are reported beside it.

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
from dask_scale import Cluster  # noqa: E402
from scale import built, cpu_description, emit_report  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def local_run(verger, args, images, out):
    """`verger run`: (images, summed partition seconds from the manifest's timeline, wall s, backend)."""
    t0 = time.monotonic()
    p = subprocess.run([verger, "run", "--input", images, "--output", out, "--model", args.model, "--backend",
                        args.backend, "--threads", "1", "--partition-size", str(args.partition_size), "--limit",
                        str(args.limit), "--format", "parquet", "--components", "4", "--overwrite", "--progress",
                        "none"], capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"dask_per_core.py: verger run exited {p.returncode}: {p.stderr[-2000:]}")
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    timeline = m.get("timeline")
    if not timeline:
        sys.exit(f"dask_per_core.py: {out}/manifest.json has no partition timeline")
    spans = [(t["images"], t["finished_at"] - t["started_at"]) for t in sorted(timeline, key=lambda t: t["started_at"])]
    return spans, wall, m["backend"]


def dask_run(args, images, out, env, logdir):
    """The cluster job on one single-threaded worker: (images, summed extract task seconds, wall s, backend)."""
    from distributed import Client, get_task_stream
    from verger.cluster import JobOptions, run_job

    cluster = Cluster(1, env, logdir)
    try:
        with Client(cluster.address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
            opts = JobOptions(input=images, output=out, model=args.model, backend=args.backend, threads=1,
                              partition_size=args.partition_size, limit=args.limit, formats=["parquet"],
                              components=4, overwrite=True, progress="none")
            with get_task_stream(client) as ts:
                t0 = time.monotonic()
                summary = run_job(client, opts)
                wall = time.monotonic() - t0
            spans = sorted((ss["start"], ss["stop"] - ss["start"]) for t in ts.data if "verger-extract" in str(t["key"])
                           for ss in t["startstops"] if ss["action"] == "compute")
    finally:
        cluster.stop()
    with open(os.path.join(out, "manifest.json")) as f:
        backend = json.load(f)["backend"]
    per = summary.ok / max(1, len(spans))  # partitions of --partition-size (the last may be smaller)
    return [(per, d) for _, d in spans], wall, backend


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
    sys.path.insert(0, os.path.join(build, "python"))
    # Workers started as docs/cluster.md recommends: without Dask's statistical profiler.
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"), DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False")
    work = tempfile.mkdtemp(prefix="verger_dask_per_core_")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    per_core = {"local": [], "dask": []}
    wall = {"local": [], "dask": []}
    backend = {}
    try:
        for _ in range(args.reps):
            for name in ("local", "dask"):
                out = os.path.join(work, name)
                if name == "local":
                    spans, elapsed, backend[name] = local_run(verger, args, images, out)
                else:
                    spans, elapsed, backend[name] = dask_run(args, images, out, env, work)
                # The first partition is left out on both sides: on a worker it also loads the model.
                n = sum(i for i, _ in spans[1:])
                seconds = sum(d for _, d in spans[1:])
                per_core[name].append(n / seconds)
                wall[name].append(sum(i for i, _ in spans) / elapsed)
                print(f"dask_per_core: {name}: first partition {spans[0][1]:.1f} s, the other {len(spans) - 1} "
                      f"{seconds:.1f} s ({n / seconds:.1f} img/s per core), whole job {elapsed:.1f} s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cpu = cpu_description()
    med = {k: statistics.median(v) for k, v in per_core.items()}
    text = (f"Measured {started} on {cpu['model']} ({cpu['vcpus']} vCPU; flags: {', '.join(cpu['flags']) or 'none of avx2, avx512, amx, avx_vnni'}), "
            f"{args.limit} Training images, {args.model} on --backend {args.backend}, --threads 1, partitions of "
            f"{args.partition_size}, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
            f"medians of {args.reps}.\n\n"
            "| job | backend that ran | extract img/s per core | whole job img/s |\n|---|---|---|---|\n")
    for name in ("local", "dask"):
        label = "`verger run`" if name == "local" else "Dask: scheduler + 1 worker x 1 thread"
        text += (f"| {label} | {backend.get(name)} | {med[name]:.1f} | "
                 f"{statistics.median(wall[name]):.1f} |\n")
    text += f"\nPer-core ratio, Dask / local: **{med['dask'] / med['local']:.2f}x**.\n"
    emit_report(text, args.out)


if __name__ == "__main__":
    main()
