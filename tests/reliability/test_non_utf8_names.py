"""Names are bytes (issue 14, F1): a file or folder name that is not UTF-8 (bytes such as 0xFF 0xFE, common on
old shares and in keys written by other tools) becomes one errors.csv row, the key shown escaped (`\\xff`) with the
reason "name is not UTF-8", and the job goes on: CSV and Parquet outputs, then `--resume`, all exit 0 with a
manifest, the same errors.csv, and rows for every other image. Before the fix CSV died with an internal JSON error,
Parquet with exit 2, and --resume failed the same way every time."""
import os
import shutil

from reliability_util import *  # noqa: F403

inp, out_csv, out_pq = tempdir("nonutf8_in"), tempdir("nonutf8_csv"), tempdir("nonutf8_pq")
try:
    good = copy_images(inp, 6, classes=2)  # 12 images, 2 labels
    donor = os.path.join(TRAINING, good[0])
    bad_file = os.path.join(os.fsencode(inp), os.fsencode(os.path.dirname(good[0])), b"\xff\xfe.jpg")
    shutil.copy(donor, bad_file)
    bad_dir = os.path.join(os.fsencode(inp), b"Bad \xe9t\xe9")  # Latin-1 "été": a whole label that is not UTF-8
    os.makedirs(bad_dir)
    shutil.copy(donor, os.path.join(bad_dir, b"one.jpg"))
    shutil.copy(donor, os.path.join(bad_dir, b"two\\.jpg"))  # a backslash reads doubled once escaped
    expected = {
        f"{os.path.dirname(good[0])}/\\xff\\xfe.jpg": "name is not UTF-8",
        "Bad \\xe9t\\xe9/one.jpg": "name is not UTF-8",
        "Bad \\xe9t\\xe9/two\\\\.jpg": "name is not UTF-8",
    }
    common = ["--input", inp, "--model", "squeezenet", "--partition-size", "5", "--threads", "2", "--progress", "none"]

    outputs = {}
    for fmt, out in (("csv", out_csv), ("parquet", out_pq)):
        p = run_verger("extract", *common, "--format", fmt, "--output", out, "--overwrite", check=False)
        check(p.returncode == 0, f"{fmt}: a non-UTF-8 name must not stop the job: exit {p.returncode}")
        check(read_errors(out) == expected, f"{fmt}: errors.csv {read_errors(out)}")
        m = read_manifest(out)
        check(m["images"]["ok"] == len(good) and m["images"]["listing_problems"] == len(expected), m["images"])
        check("3 failed" in p.stderr, f"{fmt}: the summary's failed count must include the 3 names")
        with open(os.path.join(out, "errors.csv"), "rb") as fh:
            outputs[fmt] = fh.read()
            fh.seek(0)
            fh.read().decode("utf-8")  # strict: errors.csv is UTF-8
        check_parses(out)  # every marker and manifest is valid (UTF-8) JSON
    check(outputs["csv"] == outputs["parquet"], "errors.csv differs between CSV and Parquet")
    rows, _ = read_feature_csvs(out_csv)
    check(sorted(rows) == sorted(good), f"rows {sorted(rows)}")

    p = run_verger("extract", *common, "--format", "csv", "--output", out_csv, "--resume", check=False)
    check(p.returncode == 0, f"--resume with non-UTF-8 names: exit {p.returncode}")
    check(read_errors(out_csv) == expected, "errors.csv after --resume")
    check(f"({0} computed, {len(good)} reused)" in p.stderr, "--resume must reuse every partition")
    rows2, _ = read_feature_csvs(out_csv)
    check(rows2 == rows, "rows changed after --resume")
    print("ok: non-UTF-8 names are errors.csv rows in CSV, Parquet and --resume")
finally:
    for d in (inp, out_csv, out_pq):
        shutil.rmtree(d, ignore_errors=True)
