"""One consistent CLI: shared S3/progress/logging options, one-line typo errors with "did you mean",
exit 2 for every configuration error, weights errors that name the formats tried, the PCA default,
--dry-run that writes nothing, --sample stratified and deterministic, timestamped/JSON log lines."""
import json
import re

from cli_test_util import *

HELP = {cmd: run_verger(cmd, "--help").stdout for cmd in ["extract", "run", "fit-pca", "transform", "inspect"]}
for cmd, text in HELP.items():
    for opt in ["--s3-endpoint", "--s3-region", "--s3-path-style", "--progress", "--progress-interval",
                "--log-format"]:
        check(opt in text, f"{cmd} --help lacks {opt}")
for cmd in ["fit-pca", "run"]:
    check(re.search(r"--variance FLOAT\S*( in \[0 - 1\])?=0\.95", HELP[cmd]),
          f"{cmd} --help must state --variance 0.95:\n{HELP[cmd]}")
for opt in ["--sample", "--seed", "--dry-run", "first N images in key order"]:
    check(opt in HELP["extract"], f"extract --help lacks {opt}")


def expect_error(code, needles, *args):
    p = run_verger(*args, check=False)
    check(p.returncode == code, f"{args}: exit {p.returncode}, expected {code}")
    lines = error_lines(p.stderr)
    check(len(lines) == 1 and lines[0].startswith("verger: error:"), f"{args}: expected one error line: {p.stderr!r}")
    for n in needles:
        check(n in lines[0], f"{args}: {lines[0]!r} lacks {n!r}")
    return lines[0]


work = tempdir("consistency")
try:
    images = os.path.join(work, "in")
    small_input(images, 12)  # 120 images, 10 labels
    o = lambda name: os.path.join(work, name)  # noqa: E731

    # Typos: one line, did you mean.
    expect_error(2, ["'--modle'", "did you mean '--model'?", "(see `verger extract --help`)"],
                 "extract", "--input", images, "--output", o("t1"), "--modle", "squeezenet")
    expect_error(2, ["'extrct'", "did you mean 'extract'?"], "extrct", "--input", images)
    expect_error(2, ["'troch'", "did you mean 'torch'?"],
                 "extract", "--input", images, "--output", o("t2"), "--backend", "troch")
    expect_error(2, ["did you mean '--components'?"], "fit-pca", "--input", o("x"), "--componets", "3")
    expect_error(2, ["did you mean '--s3-endpoint'?"], "inspect", o("x"), "--s3-endpiont", "http://h")
    expect_error(2, ["'--progres'", "did you mean '--progress'?"], "transform", "--input", o("x"), "--progres", "log")

    # Configuration errors exit 2, weights errors name the formats tried.
    for name, data in [("junk.pt", b"this is not a model at all" * 10), ("empty.h5", b"")]:
        path = os.path.join(work, name)
        with open(path, "wb") as fh:
            fh.write(data)
        line = expect_error(2, ["TorchScript", "HDF5", "ONNX", name], "extract", "--input", images, "--output",
                            o("w_" + name), "--model", "squeezenet", "--weights", path)
        check("not a valid ONNX model" not in line, line)
    a_file = os.path.join(work, "a_file.txt")
    open(a_file, "w").close()
    expect_error(2, ["a_file.txt", "not a directory"], "extract", "--input", images, "--output", a_file,
                 "--model", "squeezenet")

    # --dry-run: loads the model, plans, prints, writes nothing.
    dry = o("dry")
    p = run_verger("run", "--input", images, "--output", dry, "--model", "squeezenet", "--partition-size", "50",
                   "--dry-run")
    check(not os.path.exists(dry), "--dry-run created the output folder")
    for needle in ["dry run", "120 images in 10 labels", "Banana 1: 12", "3 of up to 50", "squeezenet",
                   "512-d", "features/label=<Label>", "manifest.json"]:
        check(needle in p.stdout, f"--dry-run output lacks {needle!r}:\n{p.stdout}")
    expect_error(2, ["model"], "extract", "--input", images, "--output", dry, "--model", "nosuchnet", "--dry-run")
    check(not os.path.exists(dry), "--dry-run created the output folder")

    # --sample: stratified by label, the same sample for the same seed.
    def sample(name, seed):
        out = o(name)
        run_verger("extract", "--input", TRAINING, "--output", out, "--model", "squeezenet", "--format", "csv",
                   "--sample", "30", "--seed", seed, "--progress", "none")
        rows, labels = read_feature_csvs(out)
        return sorted(rows), labels
    s1, labels1 = sample("s1", 1)
    s2, _ = sample("s2", 1)
    s3, _ = sample("s3", 2)
    check(len(s1) == 30 and s1 == s2, "same seed, same sample")
    check(s1 != s3, "another seed, another sample")
    per_label = {}
    for k in s1:
        per_label[k.split("/")[0]] = per_label.get(k.split("/")[0], 0) + 1
    check(len(per_label) == 10 and all(2 <= n <= 4 for n in per_label.values()), f"not stratified: {per_label}")

    # Log lines: ISO-8601 timestamps; --log-format json: one object per line, with the summary counts.
    p = run_verger("extract", "--input", images, "--output", o("log"), "--model", "squeezenet", "--format", "csv",
                   "--progress", "log", "--progress-interval", "0.001", "--sample", "20", "--batch", "1")
    logs = [l for l in p.stderr.splitlines() if " verger: extract " in l]
    check(logs and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ verger: extract \d+/20 images", l) for l in logs),
          f"log lines: {p.stderr[-1500:]}")
    check("per label: Apple Braeburn 1 2 ok" in p.stderr, p.stderr[-1500:])
    p = run_verger("extract", "--input", images, "--output", o("json"), "--model", "squeezenet", "--format", "csv",
                   "--progress", "log", "--progress-interval", "0.001", "--log-format", "json", "--sample", "20",
                   "--batch", "1")
    objs = [json.loads(l) for l in p.stderr.splitlines() if l.strip()]  # every line is a JSON object
    check(any(j["event"] == "progress" for j in objs), "no progress objects")
    summary = [j for j in objs if j["event"] == "summary"]
    check(len(summary) == 1 and summary[0]["ok"] == 20 and summary[0]["labels"]["Banana 1"]["ok"] == 2,
          f"summary object: {summary}")
    check(summary[0]["errors_file"].endswith("errors.csv"), summary)
    print("ok")
finally:
    shutil.rmtree(work, ignore_errors=True)
