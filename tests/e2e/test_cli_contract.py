"""The CLI's promises: help that names every option, one-line errors, exit 2 for usage/config errors."""
import os
import shutil

from verger_test_util import *

p = run_verger("--help")
for word in ["extract", "run", "fit-pca", "transform", "inspect"]:
    check(word in p.stdout, f"--help lacks {word}")
p = run_verger("extract", "--help")
for opt in ["--input", "--output", "--model", "--weights", "--batch", "--threads", "--partition-size", "--format",
            "--limit", "--overwrite", "--max-errors", "--io-concurrency", "mobilenetv2", "squeezenet", "vgg16"]:
    check(opt in p.stdout, f"extract --help lacks {opt}")

work = tempdir("cli")
try:
    out = os.path.join(work, "out")
    os.makedirs(out)
    open(os.path.join(out, "keep.txt"), "w").close()

    def expect_fail(code, needle, *args):
        p = run_verger(*args, check=False)
        check(p.returncode == code, f"{args}: exit {p.returncode}, expected {code}")
        lines = [l for l in p.stderr.splitlines() if l.startswith("verger: error:")]
        check(len(lines) == 1, f"{args}: expected one error line, got {p.stderr!r}")
        check(needle in lines[0], f"{args}: {lines[0]!r} lacks {needle!r}")

    expect_fail(2, "--overwrite", "extract", "--input", LARGE, "--output", out, "--limit", "1")
    expect_fail(2, "no such directory", "extract", "--input", os.path.join(work, "missing"), "--output",
                os.path.join(work, "o2"))
    expect_fail(2, "mobilenetv2", "extract", "--input", LARGE, "--output", os.path.join(work, "o3"), "--model",
                "resnet9000")
    expect_fail(2, "docs/models.md", "extract", "--input", LARGE, "--output", os.path.join(work, "o4"), "--model",
                "vgg16")
    expect_fail(2, "csv", "extract", "--input", LARGE, "--output", os.path.join(work, "o5"), "--format", "xlsx")
    p = run_verger("extract", "--input", LARGE, "--output", out, check=False)
    check(p.returncode == 2, "refuses non-empty output")
    p = run_verger("extract", "--input", LARGE, "--output", out, "--overwrite", "--limit", "3", "--model",
                   "squeezenet")
    check(os.path.exists(os.path.join(out, "keep.txt")), "--overwrite must leave foreign files alone")
    check(read_manifest(out)["images"]["ok"] == 3, "limit 3")
    check("3 ok" in p.stderr, f"summary line: {p.stderr}")
    check(read_manifest(out)["formats"] == ["parquet"], "parquet is the default format")
    p = run_verger("inspect", out, "--rows", "2")
    check("3 listed, 3 ok, 0 failed" in p.stdout, p.stdout)
    table_lines = [l for l in p.stdout.splitlines() if l.startswith("  ") and "[" in l]
    check(len(table_lines) == 2 and table_lines[0].strip().startswith("Orange 2/"), p.stdout)
    expect_fail(2, "no manifest", "inspect", work)
    expect_fail(2, "fit-pca", "transform", "--input", out)
    expect_fail(2, "components requested", "fit-pca", "--input", out, "--components", "100000")
    print("ok")
finally:
    shutil.rmtree(work, ignore_errors=True)
