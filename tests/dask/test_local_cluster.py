"""The default mode (a LocalCluster of --local-workers processes started by
the client) and the command-line contract: same output as `verger run`,
usage errors with verger's messages and exit codes, --max-errors."""
import shutil

from dask_util import *

local, out, bad = tempdir("local"), tempdir("out"), tempdir("bad")
try:
    common = ["--input", TRAINING, "--limit", "150", "--partition-size", "40", "--format", "npy,csv",
              "--components", "4", "--progress", "none"]
    run_local(*common, "--output", local, "--overwrite", "--threads", "1")
    p, _ = run_dask(*common, "--output", out, "--overwrite", "--local-workers", "2")
    same_output(local, out)
    check(manifest(out)["cluster"]["workers"] == 2, manifest(out)["cluster"])
    check("(0 reused, 4 computed)" in p.stderr, "summary line")

    # Output not empty without --overwrite: AlreadyExists, exit 2, verger's message.
    r = subprocess.run(dask_cmd(*common, "--output", out, "--local-workers", "1"), capture_output=True, text=True)
    check(r.returncode == 2 and "output is not empty" in r.stderr and "--overwrite" in r.stderr,
          f"{r.returncode}: {r.stderr[-500:]}")
    r = subprocess.run(dask_cmd(*common, "--output", out, "--resume", "--overwrite"), capture_output=True, text=True)
    check(r.returncode == 2 and "give --resume or --overwrite, not both" in r.stderr, r.stderr[-500:])

    # A bad image and --max-errors 0: exit 1, errors.csv names it, no manifest.
    src = os.path.join(bad, "in", "Cls")
    os.makedirs(src)
    for i, key in enumerate(vc.list_images(vc.open_store(TRAINING), 5)[0]):
        shutil.copy(os.path.join(TRAINING, key[0]), os.path.join(src, f"{i}.jpg"))
    with open(os.path.join(src, "9-broken.jpg"), "wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0 truncated")
    r = subprocess.run(dask_cmd("--input", os.path.join(bad, "in"), "--output", os.path.join(bad, "out"),
                                "--max-errors", "0", "--local-workers", "1", "--progress", "none"),
                       capture_output=True, text=True)
    check(r.returncode == 1 and "--max-errors" in r.stderr, f"{r.returncode}: {r.stderr[-800:]}")
    with open(os.path.join(bad, "out", "errors.csv")) as fh:
        check("Cls/9-broken.jpg" in fh.read(), "errors.csv does not name the bad image")
    check(not os.path.exists(os.path.join(bad, "out", "manifest.json")), "manifest despite --max-errors")
finally:
    for d in (local, out, bad):
        shutil.rmtree(d, ignore_errors=True)
print("dask_local_cluster: OK")
