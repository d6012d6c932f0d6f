"""Cluster mode against the local reference on the whole fruits-360-10
Training set: a real scheduler and two single-threaded workers; the same
rows, feature values (exactly), PCA model and projections (within 1e-9) as
`verger run` with the same options; each worker loads the model once.
The local reference is the suite's shared Training fixture (tests/e2e/
fixture_train.py: `verger run --format csv,npy,parquet --variance 0.95
--threads 2`), so CI extracts these images locally once.
Prints images/s of both runs (contended if the machine is shared)."""
import shutil

from dask_util import *

local, dask_out = os.environ["VERGER_FIXTURE_TRAIN"], tempdir("out")
cluster = Cluster(workers=2)
ok = False
try:
    # The fixture's options (partition size and batch at their defaults, 1000 and 8).
    common = ["--input", TRAINING, "--format", "csv,npy,parquet", "--variance", "0.95", "--progress", "log"]
    t_local = manifest(local)["wall_time_s"]
    p, t_dask = run_dask(*common, "--output", dask_out, "--threads", "1", "--overwrite",
                         "--scheduler", cluster.address)
    same_output(local, dask_out)
    items, _ = vc.list_images(vc.open_store(TRAINING), 0)
    every_row_once(dask_out, "features", "npy", [i[0] for i in items])
    every_row_once(dask_out, "reduced", "npy", [i[0] for i in items])
    m = manifest(dask_out)
    check(m["images"]["ok"] == 4814 and m["partitions_reused"] == 0, m["images"])
    check(m["cluster"]["workers"] == 2 and m["cluster"]["partitions_computed"] == 5, m["cluster"])
    # Busy seconds summed over both workers' partitions, as the local run reports them.
    check(m["stage_seconds"]["inference"] > 0 and m["stage_seconds"]["decode"] > 0, m["stage_seconds"])
    with cluster.client() as c:
        from verger import tasks
        per_worker = c.run(tasks.cached_extractors)
    check(len(per_worker) == 2, per_worker)
    # Model loaded once per worker process and kept for later tasks.
    check(all(v == (1, 1) or v == [1, 1] for v in per_worker.values()), f"extractors per worker: {per_worker}")
    print(f"local verger run --threads 2 (extract phase, the fixture): {t_local:.1f} s ({4814 / t_local:.1f} images/s); "
          f"dask 2 workers x 1 thread: {t_dask:.1f} s ({4814 / t_dask:.1f} images/s end to end)")
    ok = True
finally:
    if not ok:
        cluster.dump_logs()
    cluster.stop()
    shutil.rmtree(dask_out, ignore_errors=True)
    shutil.rmtree(cluster.logdir, ignore_errors=True)
print("dask_matches_local: OK")
