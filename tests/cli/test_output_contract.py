"""One output contract: a refit + transform into another format leaves no stale tables in reduced/,
no empty label=*/ folders remain, the manifest lists only files that exist, and the summary and
manifest count rows per label and failures per reason."""
import glob

from cli_test_util import *


def listed_files(out):
    """Every file manifest.json names, relative to the output."""
    m = read_manifest(out)
    keys = {m["errors_file"]}
    for section in [m["partitions"], m.get("reduced", {}).get("partitions", [])]:
        for part in section:
            keys.update(f["key"] for f in part["files"])
            if "pca_stats" in part:
                keys.add(part["pca_stats"])
    keys.update(m.get("pca", {}).get("pictures", []))
    return keys


def check_manifest_truthful(out):
    missing = [k for k in listed_files(out) if not os.path.exists(os.path.join(out, k))]
    check(not missing, f"manifest lists files that are not there: {missing}")
    check(not empty_dirs_under(out), f"empty folders left: {empty_dirs_under(out)}")


work = tempdir("contract")
try:
    images = os.path.join(work, "in")
    small_input(images, 6)  # 60 images, 10 labels
    for name in ["bad1.jpg", "bad2.jpg"]:
        with open(os.path.join(images, "Banana 1", name), "wb") as fh:
            fh.write(b"not a jpeg")
    out = os.path.join(work, "out")
    p = run_verger("run", "--input", images, "--output", out, "--model", "squeezenet", "--format", "parquet",
                   "--components", "8", "--partition-size", "25", "--progress", "none")
    check("per label: Apple Braeburn 1 6 ok;" in p.stderr and "Banana 1 6 ok, 2 failed" in p.stderr, p.stderr)
    check("failures by reason:" in p.stderr and os.path.join(out, "errors.csv") in p.stderr, p.stderr)
    m = read_manifest(out)
    check(m["labels"]["Banana 1"] == {"ok": 6, "failed": 2} and m["labels"]["Kiwi 1"] == {"ok": 6, "failed": 0},
          m["labels"])
    check(sum(m["error_reasons"].values()) == 2, m["error_reasons"])
    check(glob.glob(os.path.join(out, "reduced", "*", "*.parquet")), "no reduced parquet")
    check_manifest_truthful(out)

    # Refit with fewer components, transform into CSV: no Parquet of the old 8-d model may stay.
    run_verger("fit-pca", "--input", out, "--components", "3")
    run_verger("transform", "--input", out, "--format", "csv", "--progress", "none")
    reduced = files_under(os.path.join(out, "reduced"))
    check(reduced and all(f.endswith(".csv") for f in reduced), f"stale files in reduced/: {reduced}")
    rows, _ = read_feature_csvs(out, "reduced")
    check(len(rows) == 60 and all(len(v) == 3 for _, v in rows.values()), "3-d rows")
    check_manifest_truthful(out)

    # A model applied from elsewhere: its explained-variance plot is not in this output, so not listed.
    other = os.path.join(work, "other")
    run_verger("extract", "--input", images, "--output", other, "--model", "squeezenet", "--format", "csv",
               "--progress", "none")
    run_verger("transform", "--input", other, "--pca", os.path.join(out, "pca"), "--progress", "none")
    pictures = read_manifest(other)["pca"]["pictures"]
    check("pca/explained_variance.svg" not in pictures and "pca/scatter_pc1_pc2.svg" in pictures, pictures)
    check_manifest_truthful(other)

    # --overwrite with fewer labels: the old label folders go, none is left empty.
    two = os.path.join(work, "two")
    for label in ["Kiwi 1", "Lemon 1"]:
        shutil.copytree(os.path.join(images, label), os.path.join(two, label))
    run_verger("extract", "--input", two, "--output", out, "--model", "squeezenet", "--format", "csv",
               "--overwrite", "--progress", "none")
    check(sorted(os.listdir(os.path.join(out, "features"))) == ["label=Kiwi 1", "label=Lemon 1"],
          os.listdir(os.path.join(out, "features")))
    check(not os.path.exists(os.path.join(out, "reduced")), "reduced/ of the old output left behind")
    check_manifest_truthful(out)
    print("ok")
finally:
    shutil.rmtree(work, ignore_errors=True)
