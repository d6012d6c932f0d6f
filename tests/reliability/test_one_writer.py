"""One writer per output (issue 14, F5) and never deleting what verger did not write (smaller finding).

1. Two writers: while one `verger extract` writes an output, a second one (another input, same output) exits 2
   at once naming the running job (host, pid, start time); the first completes, and the output holds exactly its
   rows. Before the fix both exited 0 and 30 rows stayed on disk that no manifest or marker listed.
2. Stale lock: the writer is killed with SIGKILL; `--resume` detects the dead holder, says it takes the lock over
   (naming the killed pid) and completes.
3. `--overwrite` / `--resume` into an output holding files verger did not write inside its folders (features/,
   pca/): exit 2 listing them, and every one of them is still there (as is a file beside those folders, which
   alone would be allowed and left alone). Before the fix they were deleted."""
import os
import shutil
import signal
import socket
import subprocess
import time

from reliability_util import *  # noqa: F403

inp, other, out = tempdir("lock_in"), tempdir("lock_other"), tempdir("lock_out")
try:
    keys = copy_images(inp, 40, classes=5)  # 200 images
    copy_images(other, 3, classes=2, offset=100)
    common = ["--model", "squeezenet", "--partition-size", "20", "--format", "csv", "--threads", "1",
              "--progress", "none"]

    def start(*args):
        cmd = [VERGER, "extract", *common, *map(str, args)]
        print("$", " ".join(cmd), flush=True)
        return subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)

    def wait_markers(proc, n):
        deadline = time.monotonic() + 300
        d = os.path.join(out, "_partitions")
        while not (os.path.isdir(d) and len([f for f in os.listdir(d) if f.endswith(".json")]) >= n):
            check(proc.poll() is None and time.monotonic() < deadline, "writer ended too early")
            time.sleep(0.05)

    # 1. A second writer is refused while the first runs.
    first = start("--input", inp, "--output", out)
    wait_markers(first, 1)
    second = run_verger("extract", *common, "--input", other, "--output", out, "--overwrite", check=False)
    check(second.returncode == 2, f"second writer: exit {second.returncode}, want 2")
    msg = second.stderr
    check(f"pid {first.pid}" in msg and socket.gethostname() in msg and "started 20" in msg,
          f"the refusal must name the running job: {msg}")
    _, err = first.communicate(timeout=600)
    check(first.returncode == 0, f"first writer: exit {first.returncode}: {err[-1000:]}")
    rows, _ = read_feature_csvs(out)
    check(sorted(rows) == sorted(keys), "the output must hold exactly the first writer's rows")

    # 2. A lock left by a killed writer is taken over.
    victim = start("--input", inp, "--output", out, "--overwrite")
    deadline = time.monotonic() + 120
    while f'"pid":{victim.pid},' not in open(os.path.join(out, ".verger.lock")).read():  # it holds the lock
        check(victim.poll() is None and time.monotonic() < deadline, "the victim never took the lock")
        time.sleep(0.05)
    time.sleep(1.0)  # into its work
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    p = run_verger("extract", *common, "--input", inp, "--output", out, "--resume")
    check("taking over the lock" in p.stderr and f"pid {victim.pid}" in p.stderr,
          "a stale lock must be reported as taken over, naming the dead job")
    rows, _ = read_feature_csvs(out)
    check(sorted(rows) == sorted(keys), "resume after the takeover must complete the output")
    p = run_verger("extract", *common, "--input", inp, "--output", out, "--resume")
    check("taking over" not in p.stderr, "a lock released cleanly is not stale")

    # 3. Foreign files: refused, never deleted.
    foreign = ["notes.txt", "features/my-analysis.csv", "features/label=Apricot 1/keep.me", "pca/mine.npy"]
    for f in foreign:
        os.makedirs(os.path.dirname(os.path.join(out, f)), exist_ok=True)
        with open(os.path.join(out, f), "w") as fh:
            fh.write("mine\n")
    for flag in ("--overwrite", "--resume"):
        p = run_verger("extract", *common, "--input", inp, "--output", out, flag, check=False)
        check(p.returncode == 2, f"{flag} into a folder with foreign files: exit {p.returncode}, want 2")
        check("holds 3 files verger did not write" in p.stderr and "'features/label=Apricot 1/keep.me'" in p.stderr
              and "'pca/mine.npy'" in p.stderr and "notes.txt" not in p.stderr,
              f"{flag}: the refusal must list the foreign files inside verger's folders")
        for f in foreign:
            check(os.path.exists(os.path.join(out, f)), f"{flag} deleted {f}")
        check(os.path.exists(os.path.join(out, "manifest.json")), f"{flag} must not touch the output it refused")
    print("ok: one writer per output; stale lock taken over; foreign files kept")
finally:
    for d in (inp, other, out):
        shutil.rmtree(d, ignore_errors=True)
