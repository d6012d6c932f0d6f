"""Size guard (issue 14, F4): a sparse 8 GB file (a valid JPEG followed by zeros) among good images, with verger
under a 6 GB address-space limit (`prlimit --as`). Before the fix it was read whole: std::bad_alloc, SIGABRT, no
errors.csv, no manifest. Now --max-file-bytes (default 256 MiB) refuses it unread with one errors.csv row, and the
job completes. With the limit raised above the file, the read fails cleanly (an errors.csv row), still no crash."""
import os
import shutil
import subprocess
import sys

from reliability_util import *  # noqa: F403

AS_LIMIT = 6 * 1024 ** 3
inp, out, out2 = tempdir("size_in"), tempdir("size_out"), tempdir("size_out2")
try:
    good = copy_images(inp, 2, classes=2)
    big = os.path.join(inp, os.path.dirname(good[0]), "huge.jpg")
    shutil.copy(os.path.join(TRAINING, good[0]), big)
    os.truncate(big, 8 * 1024 ** 3)  # sparse: costs no disk
    check(os.stat(big).st_blocks * 512 < 1 << 20, "the 8 GB file must be sparse")
    huge_key = os.path.relpath(big, inp)

    def limited(*args):
        cmd = ["prlimit", f"--as={AS_LIMIT}", "--", VERGER, *map(str, args)]
        print("$", " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        sys.stderr.write(p.stderr[-3000:])
        return p

    common = ["--input", inp, "--model", "squeezenet", "--format", "csv", "--threads", "2", "--progress", "none"]
    p = limited("extract", *common, "--output", out)
    check(p.returncode == 0, f"an 8 GB file must not stop the job: exit {p.returncode}")
    errors = read_errors(out)
    check(list(errors) == [huge_key], f"errors: {errors}")
    check(errors[huge_key] == "file is 8589934592 bytes, above the limit of 268435456 bytes "
                              "(--max-file-bytes; raise it to read larger files)", errors[huge_key])
    check(read_manifest(out)["images"]["ok"] == len(good), "good images must have rows")

    p = limited("extract", *common, "--output", out2, "--max-file-bytes", 16 * 1024 ** 3)
    check(p.returncode == 0, f"a file above what the process can hold must not crash it: exit {p.returncode}")
    errors = read_errors(out2)
    check(list(errors) == [huge_key] and "more than this process can allocate" in errors[huge_key], errors)
    print("ok: 8 GB file refused under a 6 GB address-space limit")
finally:
    for d in (inp, out, out2):
        shutil.rmtree(d, ignore_errors=True)
