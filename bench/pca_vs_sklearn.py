#!/usr/bin/python3
"""Times verger's PCA fit (pca_tool: stats per partition + serialise round
trip + merge + eigendecomposition) against scikit-learn's PCA
(svd_solver='full' and 'randomized', same K) on one synthetic correlated
float32 matrix, in the same run, and shows verger's peak RSS for two row
counts (it streams rows, so it should not grow with them).

usage: bench/pca_vs_sklearn.py PCA_TOOL [--rows 4814] [--dim 4096] [--components 256]
                               [--partitions 8] [--rss-factor 4]

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as found (printed below).
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
from sklearn.decomposition import PCA


def synthetic(n, d, latent=300, seed=0):
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((latent, d), dtype=np.float32)
    z = rng.standard_normal((n, latent), dtype=np.float32) * (5 * 0.98 ** np.arange(latent)).astype(np.float32)
    return (z @ mixing + 1.0 + 0.1 * rng.standard_normal((n, d), dtype=np.float32)).astype(np.float32)


def run_tool(tool, path, outdir, k, partitions):
    """Runs pca_tool; returns (wall seconds, its JSON line, its peak RSS in MiB).

    The RSS is the tool's own VmHWM: wait4's ru_maxrss would include this
    Python process's size at fork time."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([tool, "fit", path, outdir, "--components", str(k), "--partitions", str(partitions)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    status = proc.wait()
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"pca_tool failed: {err.decode()}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return wall, result, result["peak_rss_mib"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool")
    ap.add_argument("--rows", type=int, default=4814)
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--components", type=int, default=256)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--rss-factor", type=int, default=4, help="second row count = rows * this (RSS check)")
    args = ap.parse_args()
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        print(f"{var}={os.environ.get(var, '(unset)')}")
    print(f"cpus={os.cpu_count()} loadavg={os.getloadavg()}")

    x = synthetic(args.rows, args.dim)
    k = args.components
    with tempfile.TemporaryDirectory(prefix="verger-pca-bench-") as work:
        path = os.path.join(work, "x.npy")
        np.save(path, x)
        wall, tool, rss = run_tool(args.tool, path, os.path.join(work, "out"), k, args.partitions)
        print(f"verger  : fit {tool['fit_s']:.2f} s (accumulate {tool['accumulate_s']:.2f}, "
              f"serialise round trip {tool['serialize_s']:.2f}, merge {tool['merge_s']:.2f}, "
              f"eigendecomposition {tool['eig_s']:.2f}); transform {tool['transform_s']:.2f} s; "
              f"process wall {wall:.2f} s; peak RSS {rss:.0f} MiB")

        x64 = x.astype(np.float64)
        t0 = time.perf_counter()
        PCA(n_components=k, svd_solver="full").fit(x64)
        full_s = time.perf_counter() - t0
        print(f"sklearn : PCA(svd_solver='full', n_components={k}).fit {full_s:.2f} s")
        t0 = time.perf_counter()
        PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x64)
        rand_s = time.perf_counter() - t0
        print(f"sklearn : PCA(svd_solver='randomized', n_components={k}).fit {rand_s:.2f} s")
        print(f"ratio   : sklearn full / verger fit = {full_s / tool['fit_s']:.2f}x (target >= 3x); "
              f"sklearn randomized / verger fit = {rand_s / tool['fit_s']:.2f}x")

        # Peak RSS against row count: a taller matrix, same width.
        if args.rss_factor > 1:
            big = os.path.join(work, "x_big.npy")
            np.save(big, np.concatenate([x] * args.rss_factor))
            del x64
            _, tool_big, rss_big = run_tool(args.tool, big, os.path.join(work, "out_big"), k, args.partitions)
            print(f"peak RSS: {args.rows} rows -> {rss:.0f} MiB; {args.rows * args.rss_factor} rows -> "
                  f"{rss_big:.0f} MiB (fit {tool_big['fit_s']:.2f} s)")


if __name__ == "__main__":
    main()
