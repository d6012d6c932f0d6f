"""Names are bytes on a cluster too (issue 14, F1): with file and folder names that are not UTF-8 in the input,
`python3 -m verger.dask` (which died with a UnicodeDecodeError before the fix) completes, and its output equals
the local `verger run`: same rows, same PCA, and the same errors.csv, where each such name is one escaped row."""
import shutil

from dask_util import *

inp, local, dask = tempdir("nonutf8_in"), tempdir("nonutf8_local"), tempdir("nonutf8_dask")
cluster = Cluster(workers=1)
ok = False
try:
    for cls in sorted(os.listdir(TRAINING))[:2]:
        os.makedirs(os.path.join(inp, cls))
        for n in sorted(os.listdir(os.path.join(TRAINING, cls)))[:8]:
            shutil.copy(os.path.join(TRAINING, cls, n), os.path.join(inp, cls, n))
    donor = os.path.join(TRAINING, cls, n)
    shutil.copy(donor, os.path.join(os.fsencode(inp), os.fsencode(cls), b"\xff\xfe.jpg"))
    os.makedirs(os.path.join(os.fsencode(inp), b"Bad\xff"))
    shutil.copy(donor, os.path.join(os.fsencode(inp), b"Bad\xff", b"x.jpg"))

    common = ["--input", inp, "--model", "squeezenet", "--partition-size", "6", "--threads", "1",
              "--components", "4", "--format", "csv", "--progress", "none"]
    run_local(*common, "--output", local, "--overwrite")
    p, _ = run_dask("--scheduler", cluster.address, *common, "--output", dask)
    check("16 ok, 2 failed" in p.stderr, "the summary's failed count must include the 2 names")
    same_output(local, dask)
    with open(os.path.join(dask, "errors.csv"), encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    check(lines == ["path,reason", f"{cls}/\\xff\\xfe.jpg,name is not UTF-8", "Bad\\xff/x.jpg,name is not UTF-8"],
          f"errors.csv: {lines}")
    check(manifest(dask)["images"]["ok"] == 16, manifest(dask)["images"])
    ok = True
    print("ok: the cluster run equals the local run with non-UTF-8 names")
finally:
    if not ok:
        cluster.dump_logs()
    cluster.stop()
    for d in (inp, local, dask):
        shutil.rmtree(d, ignore_errors=True)
