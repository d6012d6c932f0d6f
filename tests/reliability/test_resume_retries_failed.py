"""--resume retries failed images (issue 14, F2): a partition whose marker shows it complete but lists failed
images is not reused whole. Two images unreadable to the user (mode 000; verger runs as `nobody` since root reads
anything) fail the first run; after `chmod 644` (which changes neither size nor mtime, so every partition still
matches its marker), `--resume` recomputes exactly those two, copies the other rows of their partitions, leaves the
partition without failures untouched, says "2 retried, 2 now ok", and the output equals a clean run byte for byte."""
import os
import shutil
import subprocess
import sys

from reliability_util import *  # noqa: F403

NOBODY = 65534


def run_as_nobody(*args):
    cmd = [VERGER, *map(str, args)]
    if os.geteuid() == 0:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *cmd]
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    sys.stderr.write(p.stderr[-3000:])
    check(p.returncode == 0, f"exit {p.returncode}")
    return p


inp, out, clean = tempdir("retry_in"), tempdir("retry_out"), tempdir("retry_clean")
try:
    keys = copy_images(inp, 10, classes=3)  # 30 images, partitions of 10: one per class
    locked = [keys[2], keys[15]]             # in partitions 0 and 1; partition 2 has no failure
    for d in (inp, *[os.path.join(inp, os.path.dirname(k)) for k in keys]):
        os.chmod(d, 0o755)
    for k in locked:
        os.chmod(os.path.join(inp, k), 0o000)
    if os.geteuid() == 0:
        os.chown(out, NOBODY, NOBODY)
    common = ["--input", inp, "--model", "squeezenet", "--partition-size", "10", "--format", "csv",
              "--threads", "2", "--progress", "none"]

    run_as_nobody("extract", *common, "--output", out)
    errors = read_errors(out)
    if os.geteuid() == 0:
        check(sorted(errors) == sorted(locked), f"first run errors: {errors}")
    untouched = os.path.join(out, "_partitions", "part-00002.json")
    stamp = os.stat(untouched).st_mtime_ns

    for k in locked:
        os.chmod(os.path.join(inp, k), 0o644)
    p = run_as_nobody("extract", *common, "--output", out, "--resume")
    check("2 retried, 2 now ok" in p.stderr, "summary must count the retried images")
    check("(2 computed, 28 reused)" in p.stderr, "only the two failed images may be computed")
    check(read_errors(out) == {}, f"errors after the retry: {read_errors(out)}")
    check(os.stat(untouched).st_mtime_ns == stamp, "a partition without failures must be kept as it is")
    m = read_manifest(out)
    check(m["images"]["ok"] == 30 and m["images"]["failed"] == 0 and m["partitions_reused"] == 1, m["images"])

    run_verger("extract", *common, "--output", clean, "--overwrite")
    check(final_files(clean) == final_files(out), "file sets differ from a clean run")
    rows, clean_rows = read_feature_csvs(out)[0], read_feature_csvs(clean)[0]
    check(sorted(rows) == sorted(clean_rows) == sorted(keys), "rows differ from a clean run")
    # The model's float rounding depends on which images share a batch, and a failed image shifts the batches
    # of the images after it: equal within float32 rounding, and byte-identical where no image ever failed.
    worst = max(abs(a - b) / max(1.0, abs(b)) for k in keys for a, b in zip(rows[k][1], clean_rows[k][1]))
    check(worst < 1e-4, f"features differ from a clean run by {worst}")
    part2 = os.path.join("_partitions", "part-00002.json")
    check(open(os.path.join(out, part2), "rb").read() == open(os.path.join(clean, part2), "rb").read(),
          "the partition without failures must equal a clean run byte for byte")
    print(f"ok: 2 failed images retried; output equals a clean run (features within {worst:.1e})")
finally:
    for d in (inp, out, clean):
        shutil.rmtree(d, ignore_errors=True)
