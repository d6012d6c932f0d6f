"""Failures on a real cluster (scheduler + 2 single-threaded workers):
 1. SIGKILL one worker mid-job: the job completes on the other, every image
    appears exactly once on disk, manifest counts match, output equals the
    local `verger run`.
 2. SIGKILL the client mid-job, then rerun with --resume: the output equals
    the local run and partitions finished before the rerun are reused, not
    recomputed (count asserted, marker files untouched)."""
import shutil
import signal

from dask_util import *

LIMIT, PART = 1200, 100
PARTS = LIMIT // PART
local, out1, out2 = tempdir("local"), tempdir("killworker"), tempdir("killclient")
cluster = Cluster(workers=2)
ok = False


def start_job(out, *extra):
    cmd = dask_cmd("--scheduler", cluster.address, "--input", TRAINING, "--output", out, "--limit", LIMIT,
                   "--partition-size", PART, "--threads", "1", "--components", "8", "--format", "csv", "--progress", "log", *extra)
    print("$", " ".join(cmd), flush=True)
    return subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_markers(out, n, proc, timeout=300):
    deadline = time.monotonic() + timeout
    while len(markers(out)) < n:
        check(proc.poll() is None, f"job ended before {n} partitions were done")
        check(time.monotonic() < deadline, f"fewer than {n} partitions after {timeout} s")
        time.sleep(0.1)


def wait_idle(timeout=120):
    """Until no worker runs a task (tasks of a killed client finish on their own) and markers stop changing."""
    def executing(dask_worker):
        return dask_worker.state.executing_count
    deadline = time.monotonic() + timeout
    with cluster.client() as c:
        while any(c.run(executing).values()):
            check(time.monotonic() < deadline, "workers still busy")
            time.sleep(0.5)


try:
    items, _ = vc.list_images(vc.open_store(TRAINING), LIMIT)
    keys = [i[0] for i in items]
    run_local("--input", TRAINING, "--output", local, "--limit", LIMIT, "--partition-size", PART, "--threads", "2",
              "--components", "8", "--format", "csv", "--progress", "none", "--overwrite")

    # 1. A worker dies in the middle of the job.
    job = start_job(out1)
    wait_markers(out1, 3, job)
    victim = cluster.workers[0]
    cluster.kill(victim)
    print(f"killed worker pid {victim.pid} with {len(markers(out1))}/{PARTS} partitions done", flush=True)
    _, err = job.communicate(timeout=600)
    sys.stderr.write(err[-3000:])
    check(job.returncode == 0, f"job exited {job.returncode} after a worker was killed")
    check(len(markers(out1)) < PARTS + 1, "extra markers")
    m = manifest(out1)
    check(m["images"]["ok"] == LIMIT and m["images"]["failed"] == 0, m["images"])
    check(len(m["partitions"]) == PARTS and sum(p["rows"] for p in m["partitions"]) == LIMIT, "partition rows")
    check(m["reduced"]["rows"] == LIMIT, m["reduced"]["rows"])
    check(m["cluster"]["workers"] == 1, f"workers at the end: {m['cluster']}")
    every_row_once(out1, "features", "csv", keys)
    every_row_once(out1, "reduced", "csv", keys)
    same_output(local, out1)

    # 2. The client dies in the middle of the job; a rerun with --resume finishes it.
    cluster.workers.append(cluster.add_worker())
    cluster.wait_workers(2)
    job = start_job(out2)
    wait_markers(out2, 4, job)
    os.kill(job.pid, signal.SIGKILL)
    job.wait(timeout=30)
    job.stderr.close()
    check(not os.path.exists(os.path.join(out2, "manifest.json")), "manifest written by an interrupted job")
    wait_idle()
    before = {f: (os.stat(f).st_ino, os.stat(f).st_mtime_ns) for f in markers(out2)}
    print(f"client killed with {len(before)}/{PARTS} partitions done", flush=True)
    check(0 < len(before) < PARTS, f"{len(before)} partitions done when the client was killed")
    job = start_job(out2, "--resume")
    _, err = job.communicate(timeout=600)
    sys.stderr.write(err[-3000:])
    check(job.returncode == 0, f"resumed job exited {job.returncode}")
    check(f"({len(before)} reused, {PARTS - len(before)} computed)" in err, "reused/computed counts in the summary")
    m = manifest(out2)
    check(m["partitions_reused"] == len(before), f"manifest partitions_reused {m['partitions_reused']}")
    check(m["cluster"]["partitions_computed"] == PARTS - len(before), m["cluster"])
    for f, st in before.items():
        now = os.stat(f)
        check((now.st_ino, now.st_mtime_ns) == st, f"{f} was rewritten by the resumed run")
    every_row_once(out2, "features", "csv", keys)
    every_row_once(out2, "reduced", "csv", keys)
    same_output(local, out2)
    ok = True
finally:
    if not ok:
        cluster.dump_logs()
    cluster.stop()
    for d in (local, out1, out2, cluster.logdir):
        shutil.rmtree(d, ignore_errors=True)
print("dask_faults: OK")
