"""Measurements for the report (not a test): throughput of cluster mode
with 1 and 2 single-threaded workers, and the cost Dask adds per partition
task. Usage: PYTHONPATH=<build>/python VERGER_BIN=<build>/src/cli/verger \
    /usr/bin/python3 tests/dask/measure_cluster.py [IMAGES]
Numbers from a machine shared with other jobs are contended: compare them
within one run only."""
import shutil
import time

from dask_util import *

N = int(sys.argv[1]) if len(sys.argv) > 1 else 600


def extract_seconds(address, out, partition_size, limit):
    """Wall time of the extract phase as the job reports it (manifest wall_time_s)."""
    run_dask("--scheduler", address, "--input", TRAINING, "--output", out, "--limit", limit, "--partition-size",
             partition_size, "--threads", "1", "--format", "npy", "--components", "2", "--progress", "none",
             "--overwrite")
    return manifest(out)["wall_time_s"]


out = tempdir("measure")
try:
    for workers in (1, 2):
        cluster = Cluster(workers=workers)
        try:
            extract_seconds(cluster.address, out, 100, 100)  # warm: page cache, model files
            s = extract_seconds(cluster.address, out, 100, N)
            print(f"{workers} worker(s) x 1 thread, {N} images, partitions of 100: extract {s:.1f} s = "
                  f"{N / s:.1f} images/s", flush=True)
            if workers == 1:
                tiny = 200
                d = extract_seconds(cluster.address, out, 10, tiny)
        finally:
            cluster.stop()
            shutil.rmtree(cluster.logdir, ignore_errors=True)
    # The same 20 partitions of 10 images, in process, one Extractor (what a warm worker does per task).
    src = vc.open_store(TRAINING)
    items, _ = vc.list_images(src, tiny)
    ex = vc.Extractor(threads=1, formats=["npy"], write_pca_stats=True)
    dst = vc.open_store(out, create=True)
    t0 = time.monotonic()
    for index, b, e in vc.plan_partitions(tiny, 10):
        ex.run_partition(src, dst, items[b:e], index)
    inproc = time.monotonic() - t0
    parts = tiny // 10
    print(f"{parts} partitions of 10 images, 1 worker: dask extract phase {d:.2f} s, in-process {inproc:.2f} s "
          f"-> {1000 * (d - inproc) / parts:.0f} ms of overhead per partition task (listing, planning, "
          f"scheduling, result transfer)")
finally:
    shutil.rmtree(out, ignore_errors=True)
