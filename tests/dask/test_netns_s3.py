"""Cluster mode with nothing shared but S3 (issue 16).

A Dask scheduler and two single-threaded workers, each in its own network namespace (veth pairs on a
private bridge, 10.213.X.0/24, inside this machine only) and its own mount namespace: a private /tmp,
and the input folder (../shared, which also holds the shipped models) hidden under an empty tmpfs, as
is the local run's output (under /tmp). Input and output are s3:// on a real Ceph RGW that listens on
the bridge address. The workers import verger from the build tree and get the model from a folder of
their own (VERGER_MODELS_DIR).

Checks: inside a worker's namespaces the input folder and the host's /tmp are not visible; the client
prints the dashboard address or says there is none; one worker is SIGKILLed mid-job and the job still
completes, with every image exactly once, equal to a local `verger run` over the same images; and no
namespace or link with the test's prefix is left afterwards (also when it fails)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "s3"))
from rgw import Gateway  # noqa: E402  (also turns SIGTERM into a clean exit)
from netns import Namespaces, leftovers  # noqa: E402
from dask_util import (PYTHON, SHARED, check, every_row_once, manifest, run_local, same_output,  # noqa: E402
                       tempdir)
import verger  # noqa: E402
from verger import _cluster as vc  # noqa: E402

s3_copy = sys.argv[1]
BUILD = os.environ["VERGER_BUILD_DIR"]
IMAGES = os.path.join(SHARED, "datasets", "fruits-360-10", "Test")
LIMIT, PART = 800, 100
PARTS = LIMIT // PART
BUCKET = "verger-netns"
SCHEDULER_PORT = 8786

hidden = [os.path.realpath(SHARED)]
local_out, fetched = tempdir("netns_local"), tempdir("netns_fetched")
models = tempfile.mkdtemp(prefix="verger-netns-models-", dir=BUILD)  # visible to the workers, not in /tmp
shutil.copy(os.path.join(SHARED, "models", "mobilenetv2-12-int8.onnx"), models)
ns = None
prefix = None
try:
    ns = Namespaces(["s", "w1", "w2"])
    prefix = ns.prefix
    os.environ["VERGER_RGW_EXTRA_ADDRESS"] = ns.host_address
    with Gateway() as gw:
        port = gw.env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]
        endpoint = f"http://{ns.host_address}:{port}"
        env = gw.client_env(AWS_ENDPOINT_URL=endpoint, PYTHONPATH=os.path.join(BUILD, "python"),
                            VERGER_MODELS_DIR=models, OMP_NUM_THREADS="1")
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})  # this process lists S3 too
        proc = subprocess.run([s3_copy, IMAGES, f"s3://{BUCKET}/input", "--create-bucket"], env=env,
                              capture_output=True, text=True, timeout=300)
        check(proc.returncode == 0, f"staging the images failed: {proc.stderr[-2000:]}")

        # What a worker sees: no input folder, an empty /tmp, but the gateway over the bridge.
        probe = ("import os, sys, urllib.request, urllib.error\n"
                 f"assert not os.path.exists({os.path.join(IMAGES)!r}), 'input folder visible'\n"
                 f"assert not os.path.exists({local_out!r}), 'local output visible'\n"
                 "assert os.listdir('/tmp') == [], os.listdir('/tmp')\n"
                 "import verger\n"
                 f"try: urllib.request.urlopen({endpoint!r}, timeout=5)\n"
                 "except urllib.error.HTTPError: pass\n"
                 "print('isolated, gateway reachable')\n")
        rc, out = ns.run("w1", [PYTHON, "-c", probe], hidden, env)
        check(rc == 0, f"worker namespace probe failed: {out}")
        print("worker namespace:", out.strip(), flush=True)

        logdir = tempdir("netns_logs")
        scheduler = f"tcp://{ns.addresses['s']}:{SCHEDULER_PORT}"
        logs = {}

        def spawn(name, argv):
            logs[name] = open(os.path.join(logdir, f"{name}.log"), "w")
            return ns.spawn(name, argv, hidden, env, logs[name])

        spawn("s", [PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", ns.addresses["s"], "--port",
                    str(SCHEDULER_PORT)])
        workers = [spawn(w, [PYTHON, "-m", "distributed.cli.dask_worker", scheduler, "--nthreads", "1", "--no-nanny",
                             "--no-dashboard", "--host", ns.addresses[w], "--memory-limit", "0",
                             "--death-timeout", "60"]) for w in ("w1", "w2")]
        try:
            from distributed import Client
            with Client(scheduler, timeout="60s") as c:
                c.wait_for_workers(2, timeout=120)

            job = subprocess.Popen(
                [PYTHON, "-m", "verger.dask", "--scheduler", scheduler, "--input", f"s3://{BUCKET}/input",
                 "--output", f"s3://{BUCKET}/output", "--s3-endpoint", endpoint, "--limit", str(LIMIT),
                 "--partition-size", str(PART), "--threads", "1", "--components", "8", "--format", "csv",
                 "--progress", "log"], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
            store = vc.open_store(f"s3://{BUCKET}/output", s3_endpoint=endpoint)
            deadline = time.monotonic() + 300
            while True:
                objects, _ = store.list("_partitions/")
                if len([o for o in objects if o[0].endswith(".json")]) >= 2:
                    break
                check(job.poll() is None, "the job ended before 2 partitions were done")
                check(time.monotonic() < deadline, "fewer than 2 partitions after 300 s")
                time.sleep(0.2)
            workers[0].kill()
            workers[0].wait(timeout=30)
            print(f"killed worker w1 (pid {workers[0].pid}) with {len(objects)}/{PARTS} partitions done", flush=True)
            _, err = job.communicate(timeout=600)
            sys.stderr.write(err[-3000:])
            check(job.returncode == 0, f"the job exited {job.returncode} after a worker was killed")
            check("verger-dask: dashboard http" in err or "verger-dask: no dashboard" in err,
                  "the client named no dashboard (address or 'no dashboard')")
        except BaseException:
            for f in logs.values():
                f.flush()
                with open(f.name) as fh:
                    sys.stderr.write(f"---- {f.name} (tail)\n" + fh.read()[-3000:])
            raise

        proc = subprocess.run([s3_copy, f"s3://{BUCKET}/output", fetched], env=env, capture_output=True, text=True,
                              timeout=300)
        check(proc.returncode == 0, f"fetching the output failed: {proc.stderr[-2000:]}")

    os.environ["VERGER_MODELS_DIR"] = models
    run_local("--input", IMAGES, "--output", local_out, "--limit", LIMIT, "--partition-size", PART, "--threads", "2",
              "--components", "8", "--format", "csv", "--progress", "none", "--overwrite")
    items, _ = vc.list_images(vc.open_store(IMAGES), LIMIT)
    keys = [i[0] for i in items]
    m = manifest(fetched)
    check(m["images"]["ok"] == LIMIT and m["images"]["failed"] == 0, m["images"])
    check(m["cluster"]["workers"] == 1, f"workers at the end: {m['cluster']}")
    every_row_once(fetched, "features", "csv", keys)
    every_row_once(fetched, "reduced", "csv", keys)
    same_output(local_out, fetched)
    print(f"ok: {LIMIT} images in {PARTS} partitions on 2 namespaced workers (one killed), S3 only, "
          "equal to the local run", flush=True)
finally:
    if ns is not None:
        ns.close()
    for d in (local_out, fetched, models):
        shutil.rmtree(d, ignore_errors=True)
    if prefix is not None:
        left = leftovers(prefix)
        if left:
            sys.exit(f"namespaces or links left behind: {left}")
