"""Ctrl-C stops cleanly: exit 130, the --resume hint, finished partitions kept, no temporaries, no
manifest; a plain rerun names --resume first; --resume then completes with every image exactly once."""
import glob
import os
import signal
import subprocess
import time

from cli_test_util import *

work = tempdir("interrupt")
try:
    images = os.path.join(work, "in")
    keys = small_input(images, 40)  # 400 images, 20 partitions of 20
    out = os.path.join(work, "out")
    args = ["extract", "--input", images, "--output", out, "--model", "squeezenet", "--format", "csv",
            "--partition-size", "20", "--threads", "1", "--batch", "4", "--progress", "log"]
    cmd = [VERGER, *args]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    markers = os.path.join(out, "_partitions", "*.json")
    deadline = time.time() + 300
    while len(glob.glob(markers)) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    check(proc.poll() is None, "the job ended before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    print(stderr[-2000:])
    check(proc.returncode == 130, f"exit {proc.returncode} after SIGINT, expected 130")
    done = len(glob.glob(markers))
    hint = f"verger: interrupted: {done} of 20 partitions complete; rerun the same command with --resume"
    check(hint in stderr, f"no {hint!r} in {stderr[-1000:]!r}")
    check(3 <= done < 20, f"{done} partitions complete")
    left = files_under(out)
    check(not [f for f in left if ".tmp-" in f], f"temporaries left: {left}")
    check("manifest.json" not in left, "an interrupted job must not write a manifest")

    p = run_verger(*args, check=False)
    check(p.returncode == 2, f"plain rerun: exit {p.returncode}")
    line = [l for l in p.stderr.splitlines() if l.startswith("verger: error:")]
    check(len(line) == 1 and "--resume" in line[0], f"plain rerun must name --resume: {p.stderr!r}")
    check("--overwrite" not in line[0] or line[0].index("--resume") < line[0].index("--overwrite"),
          f"--resume must come first: {line[0]}")

    p = run_verger(*args, "--resume")
    check(f"20 partitions ({done} reused)" in p.stderr, f"resume must reuse the {done} finished partitions")
    rows, _ = read_feature_csvs(out)  # asserts no path appears twice
    check(sorted(rows) == keys, f"{len(rows)} rows after resume, {len(keys)} images")
    check(read_manifest(out)["images"]["ok"] == len(keys), "manifest count")
    print("ok")
finally:
    shutil.rmtree(work, ignore_errors=True)
