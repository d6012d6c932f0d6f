"""kill -9 of `verger run` at seeded random moments, then the same command with --resume (killed again,
several times, then left to finish) gives exactly the output of an uninterrupted run: every CSV, NPY and
SVG byte-identical, manifest identical apart from timing/run fields. After every kill, each file under a
final name parses fully (temporaries are dot-files or .tmp- suffixed). Partitions complete before a
resume are not recomputed (manifest partitions_reused / images.computed)."""
import os
import random
import shutil
import signal
import subprocess
import time

from reliability_util import *  # noqa: F403

SEED = int(os.environ.get("VERGER_CRASH_SEED", "20261124"))
rng = random.Random(SEED)
tmp = [tempdir("crash_in"), tempdir("crash_ref"), tempdir("crash_out")]
inp, ref, out = tmp
try:
    copy_images(inp, 60)  # 10 classes x 60 = 600 images, 12 partitions of 50
    base = ["run", "--input", inp, "--model", "squeezenet", "--partition-size", "50", "--format", "csv",
            "--components", "8", "--threads", "2", "--progress", "none"]
    t0 = time.monotonic()
    run_verger(*base, "--output", ref)
    t_ref = time.monotonic() - t0
    print(f"uninterrupted run: {t_ref:.1f} s (seed {SEED})")

    def markers():
        d = os.path.join(out, "_partitions")
        return sum(1 for f in os.listdir(d) if f.endswith(".json")) if os.path.isdir(d) else 0

    def transform_started():
        return os.path.exists(os.path.join(out, "pca", "model.json")) or os.path.isdir(os.path.join(out, "reduced"))

    # Kill points, seeded: after a random number of finished partitions plus a random part of the next
    # one, right at the start of a resume, and during fit/transform.
    t0 = rng.randint(1, 4)
    plans = [("after", t0), ("after", rng.randint(t0 + 2, 9)), ("start", None), ("transform", None)]
    kills = 0
    for attempt, (kind, target) in enumerate(plans):
        args = base + ["--output", out] + (["--resume"] if attempt else ["--overwrite"])
        p = subprocess.Popen([VERGER, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while p.poll() is None and time.monotonic() < deadline:
            if kind == "start" or (kind == "after" and markers() >= target) or (kind == "transform" and transform_started()):
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, {"after": 1.0, "start": 0.3, "transform": 0.05}[kind]))
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        p.wait()
        n = check_parses(out)
        temps = sum(1 for d, _, fs in os.walk(out) for f in fs if TEMP_MARK in f or f.startswith("."))
        print(f"attempt {attempt} ({kind} {target}): {'killed' if p.returncode == -9 else 'finished'}; "
              f"{n} final files parse, {temps} temporaries, {markers()} partition markers")
    # The first two (mid-extract) always land; the short start/transform windows may be missed on a
    # fast machine.
    check(kills >= 2, f"only {kills} kills landed; the test must interrupt runs")

    # Partitions complete now must be reused by the finishing run.
    complete = sum(1 for f in final_files(out) if f.startswith("_partitions/part-"))
    p = run_verger(*base, "--output", out, "--resume")
    m = read_manifest(out)
    print("final run:", p.stderr.strip().splitlines()[0] if p.stderr.strip() else "")
    check(m["partitions_reused"] == complete, f"{complete} complete partitions, {m['partitions_reused']} reused")
    check(m["images"]["computed"] == 600 - 50 * m["partitions_reused"], m["images"])
    check(m["images"]["reused"] == 50 * m["partitions_reused"], m["images"])
    check(not any(TEMP_MARK in f for _, _, fs in os.walk(out) for f in fs), "temporaries left after --resume")
    n = compare_outputs(ref, out)
    print(f"ok: {kills} kills, {n} files identical to the uninterrupted run")
finally:
    for d in tmp:
        shutil.rmtree(d, ignore_errors=True)
