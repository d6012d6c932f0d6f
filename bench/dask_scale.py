#!/usr/bin/python3
"""Cluster-mode overhead at many partitions, in one command.

Runs the whole cluster job (`verger.cluster.run_job`: extract -> statistics tree -> fit -> transform)
over a synthetic collection (bench/scale_data.py; default 1,000 partitions of 100 images) with the
trivial model, on a real `dask scheduler` with 1 and then 2 single-threaded workers (`--nthreads 1`,
verger `--threads 1`), recording Dask's task stream. It reports, medians of --reps runs:

  wall            the job's wall time with W workers; scaling = wall(1) / wall(2)
  busy            seconds workers spent computing tasks (task stream "compute" spans)
  overhead/task   (W x wall - busy) / tasks: the time a worker slot is not computing, per task —
                  scheduling, transfers, the client's own work, idle tails
  local           `verger run --threads 1` on the same images (the single-process baseline)

Usage: bench/dask_scale.py [--build build/release] [--partitions 1000] [--partition-size 100]
                           [--reps 1] [--work /tmp/verger-scale] [--out FILE.md] [--json FILE.json]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale_data  # noqa: E402
from scale import built, cpu_description, emit_report  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and `n` single-threaded workers, stopped by PID."""

    def __init__(self, n, env, logdir):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.procs = []
        port = self.address.rsplit(":", 1)[1]
        self._spawn(["-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", port,
                     "--no-dashboard"], env, logdir)
        for _ in range(n):
            self._spawn(["-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
                         "--no-dashboard", "--host", "127.0.0.1", "--memory-limit", "0"], env, logdir)

    def _spawn(self, args, env, logdir):
        log = open(os.path.join(logdir, f"proc-{len(self.procs)}.log"), "w")
        self.procs.append(subprocess.Popen([PY, *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                                           start_new_session=True))

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def run_cluster_job(workers, folder, spec, out, args, env, logdir):
    from distributed import Client, get_task_stream
    from verger.cluster import JobOptions, run_job

    cluster = Cluster(workers, env, logdir)
    try:
        with Client(cluster.address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
            opts = JobOptions(input=folder, output=out, model=spec, threads=1, batch=64,
                              partition_size=args.partition_size, formats=["parquet"], components=4,
                              overwrite=True, progress="none")
            with get_task_stream(client) as ts:
                t0 = time.monotonic()
                summary = run_job(client, opts)
                wall = time.monotonic() - t0
            spans = [(t["key"], ss["stop"] - ss["start"]) for t in ts.data for ss in t["startstops"]
                     if ss["action"] == "compute"]
    finally:
        cluster.stop()
    busy = sum(d for _, d in spans)
    extract = [d for k, d in spans if "verger-extract" in str(k)]
    return {"workers": workers, "wall_s": wall, "tasks": len(spans), "busy_s": busy,
            "extract_tasks": len(extract), "extract_busy_s": sum(extract), "ok": summary.ok,
            "overhead_per_task_ms": 1000.0 * (workers * wall - busy) / max(1, len(spans))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build", "release"))
    ap.add_argument("--shared", default=os.environ.get("VERGER_SHARED_DIR", os.path.join(SRC, "..", "shared")))
    ap.add_argument("--partitions", type=int, default=1000)
    ap.add_argument("--partition-size", type=int, default=100)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--work", default="/tmp/verger-scale")
    ap.add_argument("--out")
    ap.add_argument("--json")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    verger = built(build, "verger")
    sys.path.insert(0, os.path.join(build, "python"))
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"), OMP_NUM_THREADS="1")
    n = args.partitions * args.partition_size
    os.makedirs(args.work, exist_ok=True)
    pool = scale_data.make_pool(args.shared, args.work)
    spec = scale_data.make_model(os.path.join(args.work, "model"))
    folder = os.path.join(args.work, f"in-{n}")
    scale_data.make_collection(pool, folder, n)
    logdir = tempfile.mkdtemp(prefix="verger_dask_scale_")
    out = os.path.join(args.work, "dask-out")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    runs = {1: [], 2: []}
    local = []
    for _ in range(args.reps):
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.monotonic()
        subprocess.run([verger, "run", "--input", folder, "--output", out, "--model", spec, "--threads", "1",
                        "--batch", "64", "--partition-size", str(args.partition_size), "--components", "4",
                        "--format", "parquet", "--progress", "none"], check=True, capture_output=True)
        local.append(time.monotonic() - t0)
        print(f"dask_scale: local verger run {local[-1]:.1f} s", file=sys.stderr)
        for w in (1, 2):
            shutil.rmtree(out, ignore_errors=True)
            r = run_cluster_job(w, folder, spec, out, args, env, logdir)
            if r["ok"] != n:
                sys.exit(f"dask_scale.py: {r['ok']} of {n} images done with {w} worker(s); logs in {logdir}")
            runs[w].append(r)
            print(f"dask_scale: {w} worker(s) {r['wall_s']:.1f} s, {r['tasks']} tasks, "
                  f"overhead {r['overhead_per_task_ms']:.1f} ms/task", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(logdir, ignore_errors=True)

    def med(w, k):
        return statistics.median(r[k] for r in runs[w])

    cpu = cpu_description()
    report = {"started": started, "cpu": cpu, "images": n, "partitions": args.partitions, "local_s": local,
              "runs": runs, "load_before": load_before, "load_after": os.getloadavg()[0]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    text = (f"Measured {started} on {cpu['model']} ({cpu['vcpus']} vCPU), {n:,} images in {args.partitions:,} "
            f"partitions, trivial model, load average {load_before:.1f} before, {report['load_after']:.1f} after, "
            f"medians of {args.reps} run(s).\n\n"
            "| run | wall s | images/s | tasks | busy s | overhead per task ms |\n|---|---|---|---|---|---|\n"
            f"| local `verger run --threads 1` | {statistics.median(local):.1f} | {n / statistics.median(local):,.0f} "
            "| - | - | - |\n")
    for w in (1, 2):
        text += (f"| Dask, {w} worker(s) x 1 thread | {med(w, 'wall_s'):.1f} | {n / med(w, 'wall_s'):,.0f} | "
                 f"{runs[w][0]['tasks']:,} | {med(w, 'busy_s'):.1f} | {med(w, 'overhead_per_task_ms'):.1f} |\n")
    text += f"\nScaling 1 -> 2 workers: {med(1, 'wall_s') / med(2, 'wall_s'):.2f}x.\n"
    emit_report(text, args.out)


if __name__ == "__main__":
    main()
