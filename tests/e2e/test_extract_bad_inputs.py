"""Bad files never stop a job: a folder mixing good images with a truncated JPEG, a zero-byte .jpg,
a text file named .png and a directory named x.jpg. Good images are processed, each bad one is listed
in errors.csv with its reason, and --max-errors turns too many failures into exit 1 without a manifest."""
import os
import shutil

from verger_test_util import *

root = tempdir("bad_in")
outs = []
try:
    good_src = sorted(os.listdir(os.path.join(TRAINING, "Kiwi 1")))[:5]
    os.makedirs(os.path.join(root, "Kiwi 1"))
    for f in good_src:
        shutil.copy(os.path.join(TRAINING, "Kiwi 1", f), os.path.join(root, "Kiwi 1", f))
    os.makedirs(os.path.join(root, "Bad"))
    with open(os.path.join(TRAINING, "Kiwi 1", good_src[0]), "rb") as fh:
        jpeg = fh.read()
    with open(os.path.join(root, "Bad", "truncated.jpg"), "wb") as fh:
        fh.write(jpeg[: len(jpeg) // 2])
    open(os.path.join(root, "Bad", "empty.jpg"), "wb").close()
    with open(os.path.join(root, "Bad", "notes.png"), "w") as fh:
        fh.write("this is not a picture\n")
    os.makedirs(os.path.join(root, "Bad", "x.jpg"))

    out = tempdir("bad_out")
    outs.append(out)
    p = run_verger("extract", "--input", root, "--output", out, "--model", "squeezenet", "--format", "csv",
                   "--overwrite", "--progress", "log")
    check(p.returncode == 0, "bad images must not fail the job")
    rows, folders = read_feature_csvs(out)
    check(sorted(rows) == [f"Kiwi 1/{f}" for f in good_src], f"rows: {sorted(rows)}")
    errors = read_errors(out)
    print("errors.csv:", errors)
    check(set(errors) == {"Bad/truncated.jpg", "Bad/empty.jpg", "Bad/notes.png", "Bad/x.jpg"}, f"errors: {errors}")
    check("empty" in errors["Bad/empty.jpg"].lower() or "0 bytes" in errors["Bad/empty.jpg"], errors["Bad/empty.jpg"])
    check("directory" in errors["Bad/x.jpg"], errors["Bad/x.jpg"])
    check("trunc" in errors["Bad/truncated.jpg"].lower() or "premature" in errors["Bad/truncated.jpg"].lower(),
          errors["Bad/truncated.jpg"])
    check("not" in errors["Bad/notes.png"].lower(), errors["Bad/notes.png"])
    m = read_manifest(out)
    check(m["images"]["ok"] == 5 and m["images"]["failed"] == 3 and m["images"]["listing_problems"] == 1, m["images"])

    out2 = tempdir("bad_out_max")
    outs.append(out2)
    p = run_verger("extract", "--input", root, "--output", out2, "--model", "squeezenet", "--max-errors", "1",
                   "--overwrite", check=False)
    check(p.returncode == 1, f"--max-errors exceeded must exit 1, got {p.returncode}")
    check("max-errors" in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(out2, "manifest.json")), "no manifest for a failed job")
    check(len(read_errors(out2)) >= 2, "errors.csv written for a failed job")
    print("ok")
finally:
    shutil.rmtree(root, ignore_errors=True)
    for o in outs:
        shutil.rmtree(o, ignore_errors=True)
