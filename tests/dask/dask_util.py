"""Helpers of the cluster-mode tests: a real `dask scheduler` and workers
as child processes (stopped by PID, also when a test fails), running the
client, and comparing two outputs."""
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

import verger
from verger import _cluster as vc

PYTHON = "/usr/bin/python3"
SHARED = os.environ.get("VERGER_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../shared"))
TRAINING = os.path.join(SHARED, "datasets", "fruits-360-10", "Training")
VERGER = os.environ.get("VERGER_BIN", "")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tempdir(prefix):
    return tempfile.mkdtemp(prefix=f"verger_dask_{prefix}_")


class Cluster:
    """A scheduler and `workers` single-threaded workers (no nanny, so killing a worker's PID kills it)."""

    def __init__(self, workers=2):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.logdir = tempdir("logs")
        self.procs = []
        self.scheduler = self._spawn("scheduler", ["-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                                   "--port", str(self.port),
                                                   "--no-dashboard"])
        self.workers = [self.add_worker() for _ in range(workers)]
        self.wait_workers(workers)

    def _spawn(self, name, args):
        log = open(os.path.join(self.logdir, f"{name}-{len(self.procs)}.log"), "w")
        p = subprocess.Popen([PYTHON, *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def add_worker(self):
        return self._spawn("worker", ["-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
                                      "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                                      "--death-timeout", "60"])

    def client(self):
        from distributed import Client
        return Client(self.address, timeout="30s")

    def wait_workers(self, n, timeout=90):
        with self.client() as c:
            c.wait_for_workers(n, timeout=timeout)
            # Workers the scheduler still lists after a kill are counted until it notices: wait for exactly n.
            deadline = time.monotonic() + timeout
            while len(c.scheduler_info()["workers"]) != n:
                check(time.monotonic() < deadline, f"cluster did not settle at {n} workers")
                time.sleep(0.5)

    def kill(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=15)

    def dump_logs(self):
        for f in sorted(glob.glob(os.path.join(self.logdir, "*.log"))):
            with open(f) as fh:
                sys.stderr.write(f"---- {f} (tail)\n" + fh.read()[-3000:])


def dask_cmd(*args):
    return [PYTHON, "-m", "verger.dask", *map(str, args)]


def run_dask(*args, timeout=900):
    cmd = dask_cmd(*args)
    print("$", " ".join(cmd), flush=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(p.stderr[-4000:])
    check(p.returncode == 0, f"verger.dask exited {p.returncode}")
    return p, time.monotonic() - t0


def run_local(*args, timeout=900):
    cmd = [VERGER, "run", *map(str, args)]
    print("$", " ".join(cmd), flush=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(p.stderr[-2000:])
    check(p.returncode == 0, f"verger run exited {p.returncode}")
    return p, time.monotonic() - t0


def markers(out):
    return sorted(glob.glob(os.path.join(out, "_partitions", "part-*.json")))


def manifest(out):
    with open(os.path.join(out, "manifest.json")) as fh:
        return json.load(fh)


def every_row_once(out, dataset, fmt, expected_keys):
    """Reads every table file on disk (not only those the manifest names): each key exactly once."""
    keys = []
    for f in glob.glob(os.path.join(out, dataset, "label=*", f"part-*.{fmt}")):
        if f.endswith(".keys.csv"):
            continue
        path = f[: -len(fmt)] + "keys.csv" if fmt == "npy" else f
        with open(path, encoding="utf-8") as fh:
            keys += [line.split(",")[0].strip('"') for line in fh.read().splitlines()[1:]]
    check(sorted(keys) == sorted(expected_keys),
          f"{dataset}: {len(keys)} rows on disk, {len(set(keys))} distinct, expected {len(expected_keys)}")
    leftovers = [f for f in glob.glob(os.path.join(out, "**", "*.tmp-*"), recursive=True)]
    check(not leftovers, f"temporary files left: {leftovers[:3]}")


def same_output(local, dask, tol=1e-9):
    """Rows, values and PCA model of two outputs agree: rows and feature values exactly, PCA within tol."""
    for dataset in ("features", "reduced"):
        p1, l1, x1 = verger.read_features(local, dataset)
        p2, l2, x2 = verger.read_features(dask, dataset)
        check(p1 == p2 and l1 == l2, f"{dataset}: rows differ ({len(p1)} vs {len(p2)})")
        d = float(np.max(np.abs(x1.astype(np.float64) - x2))) if len(p1) else 0.0
        limit = 0.0 if dataset == "features" else tol * max(1.0, float(np.max(np.abs(x1))))
        check(d <= limit, f"{dataset}: values differ by {d}")
    a, b = verger.read_pca_model(local), verger.read_pca_model(dask)
    for k in ("mean", "components", "explained_variance", "explained_variance_ratio"):
        check(a[k].shape == b[k].shape, f"pca {k}: shapes {a[k].shape} vs {b[k].shape}")
        d = float(np.max(np.abs(a[k] - b[k])))
        check(d <= tol, f"pca {k} differs by {d}")
    check(a["n_samples"] == b["n_samples"], "pca n_samples differ")
    m1, m2 = manifest(local), manifest(dask)
    for k in ("feature_dim", "model_sha256", "formats", "partition_size"):
        check(m1[k] == m2[k], f"manifest {k}: {m1[k]} vs {m2[k]}")
    for k in ("listed", "ok", "failed", "listing_problems"):  # computed/reused depend on the run's history
        check(m1["images"][k] == m2["images"][k], f"manifest images.{k}: {m1['images']} vs {m2['images']}")
    check(m1["reduced"]["rows"] == m2["reduced"]["rows"], "reduced row counts differ")
    check([p["rows"] for p in m1["partitions"]] == [p["rows"] for p in m2["partitions"]], "partition rows differ")
    with open(os.path.join(local, "errors.csv")) as f1, open(os.path.join(dask, "errors.csv")) as f2:
        check(f1.read() == f2.read(), "errors.csv differ")
