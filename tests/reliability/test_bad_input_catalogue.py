"""Every kind of hostile input in make_catalogue.py yields exactly one errors.csv row with the expected
class of reason (or, for valid oddities such as CMYK, 16-bit PNG, 1x1 and unicode names, a feature
row), and the job itself succeeds. Unreadable files: permissions do not bite root, so when run as root
verger runs as user nobody (setpriv) for this test. --max-pixels is configurable."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import *  # noqa: E402,F403
import make_catalogue  # noqa: E402

NOBODY = 65534


def run_as_user(args):
    cmd = [VERGER, *args]
    if os.geteuid() == 0:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *cmd]
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    sys.stderr.write(p.stderr[-3000:])
    return p


root = tempdir("catalogue")
out = tempdir("catalogue_out")
out2 = tempdir("catalogue_px")
try:
    kiwi = os.path.join(TRAINING, "Kiwi 1")
    cases = make_catalogue.make(root, os.path.join(kiwi, sorted(os.listdir(kiwi))[0]))
    for d in (root, out, out2):
        os.chmod(d, 0o755)
    if os.geteuid() == 0:
        os.chown(out, NOBODY, NOBODY)
        os.chown(out2, NOBODY, NOBODY)
        # Proof that the privilege drop is real: nobody cannot read the locked file.
        r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", "cat",
                            os.path.join(root, "perm", "locked.jpg")], capture_output=True)
        check(r.returncode != 0, "setpriv did not drop privileges")

    p = run_as_user(["extract", "--input", root, "--output", out, "--model", "squeezenet", "--format", "csv",
                     "--progress", "none", "--overwrite"])
    check(p.returncode == 0, f"hostile inputs must not fail the job: exit {p.returncode}")
    rows, _ = read_feature_csvs(out)
    errors = read_errors(out)
    with open(os.path.join(out, "errors.csv"), encoding="utf-8") as fh:
        n_error_lines = sum(1 for _ in fh) - 1
    check(n_error_lines == len(errors), "a key appears twice in errors.csv")

    want_ok = sorted(k for k, (e, _) in cases.items() if e == "ok")
    want_bad = {k: e for k, (e, _) in cases.items() if e != "ok"}
    failures = []
    print(f"\n{'input':40s} {'what':55s} reported")
    for key, (expected, what) in sorted(cases.items()):
        got = "ok (feature row)" if key in rows else errors.get(key, "<MISSING>")
        print(f"{key:40s} {what:55s} {got}")
        if expected == "ok":
            if key not in rows or key in errors:
                failures.append(f"{key}: expected a feature row, got {got}")
        elif key not in errors or not re.search(expected, errors[key]):
            failures.append(f"{key}: expected reason /{expected}/, got {got}")
    check(not failures, "\n".join(failures))
    check(sorted(rows) == want_ok, f"rows {sorted(rows)} != {want_ok}")
    check(sorted(errors) == sorted(want_bad), f"errors.csv keys {sorted(errors)} != {sorted(want_bad)}")
    check(rows["Ünïcødé 名前 ☃/ça va ✓.jpg"][0] == "Ünïcødé 名前 ☃", "unicode label column")
    check(rows["with  spaces /a b  c .jpg"][0] == "with  spaces ", "label with spaces kept exactly")
    check(all(len(v) == 512 for _, v in rows.values()), "squeezenet features are 512-d")
    m = read_manifest(out)
    check(m["images"]["ok"] == len(want_ok), m["images"])
    check(m["images"]["ok"] + m["images"]["failed"] + m["images"]["listing_problems"] == len(cases), m["images"])

    # The pixel limit is an option: below 100x100 = 10000 the fruit photos are refused too.
    p = run_as_user(["extract", "--input", root, "--output", out2, "--model", "squeezenet", "--format", "csv",
                     "--progress", "none", "--max-pixels", "9999", "--overwrite"])
    check(p.returncode == 0, "run with --max-pixels")
    errors2 = read_errors(out2)
    check(re.search(r"100x100 = 10000 pixels, above the limit of 9999 pixels", errors2.get("modes/grey.jpg", "")),
          errors2.get("modes/grey.jpg"))
    check("tiny/one_pixel.png" not in errors2, "1x1 is under any limit")
    print("ok")
finally:
    for d in (root, out, out2):
        shutil.rmtree(d, ignore_errors=True)
