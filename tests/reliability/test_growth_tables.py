"""Growth touches only what it must: after a `verger extract` (CSV + Parquet, partitions of 25), two
images are added and one is changed; `verger extract --resume` then computes those 3, keeps every
partition's index and boundaries, leaves every label table holding none of them untouched (same
inode, mtime and bytes: neither read back nor rewritten), rewrites the tables that hold them, and
gives every image the features a from-scratch run over the new input gives."""
import os
import shutil

from reliability_util import *  # noqa: F403

tmp = [tempdir("grow_in"), tempdir("grow_out"), tempdir("grow_fresh")]
inp, out, fresh = tmp


def tables(d):
    """{relative path: (inode, mtime_ns, bytes)} of every feature table file."""
    found = {}
    for rel in final_files(d):
        if rel.startswith("features/label="):
            path = os.path.join(d, rel)
            st = os.stat(path)
            found[rel] = (st.st_ino, st.st_mtime_ns, open(path, "rb").read())
    return found


def table_of(key, m):
    """Relative path of the CSV table holding `key` according to the manifest's partitions."""
    for part in m["partitions"]:
        if part["first_key"] <= key <= part["last_key"]:
            label = key.split("/")[0]
            return next(f["key"] for f in part["files"] if f["label"] == label and f["key"].endswith(".csv"))
    raise AssertionError(f"{key} in no partition")


try:
    before = copy_images(inp, 10)  # 100 images over 10 classes: 4 partitions of 25, ~3 labels each
    args = ["--input", inp, "--model", "squeezenet", "--partition-size", "25", "--format", "csv", "--format",
            "parquet", "--threads", "2", "--progress", "none"]
    run_verger("extract", *args, "--output", out)
    m1 = read_manifest(out)
    first = tables(out)
    rows1, _ = read_feature_csvs(out)

    classes = sorted(os.listdir(inp))
    added = []
    for cls in (classes[1], classes[6]):  # a name that sorts inside the class's run of keys
        src = sorted(os.listdir(os.path.join(TRAINING, cls)))[20]
        name = sorted(os.listdir(os.path.join(inp, cls)))[4] + "_new.jpg"
        shutil.copy2(os.path.join(TRAINING, cls, src), os.path.join(inp, cls, name))
        added.append(f"{cls}/{name}")
    changed = before[55]
    donor = os.path.join(TRAINING, before[12])
    check(os.path.getsize(donor) != os.path.getsize(os.path.join(inp, changed)), "changed file must change size")
    shutil.copyfile(donor, os.path.join(inp, changed))

    p = run_verger("extract", *args, "--output", out, "--resume")
    check("(3 computed, 99 reused)" in p.stderr, "summary line counts")
    m2 = read_manifest(out)
    check([(q["index"], q["first_key"]) for q in m2["partitions"]] ==
          [(q["index"], q["first_key"]) for q in m1["partitions"]], "partition indices and boundaries kept")
    touched = {table_of(k, m2) for k in added + [changed]}
    touched |= {t[: -len(".csv")] + ".parquet" for t in touched}
    second = tables(out)
    check(set(second) == set(first), "same table files")
    for rel in first:
        if rel in touched:
            check(second[rel][:2] != first[rel][:2], f"{rel}: holds a new image but was not rewritten")
        else:
            check(second[rel] == first[rel], f"{rel}: holds no new image but was touched")
    check(len(touched) == 6, sorted(touched))  # 3 label tables in 2 formats

    rows2, _ = read_feature_csvs(out)
    run_verger("extract", *args, "--output", fresh)
    rows_fresh, _ = read_feature_csvs(fresh)
    check(rows2 == rows_fresh, "features differ from a from-scratch run")
    check(sorted(rows2) == sorted(set(before) | set(added)), "rows = the new input set")
    for k in before:
        if k != changed:
            check(rows2[k] == rows1[k], f"{k}: unchanged image's features changed")
    check(rows2[changed] != rows1[changed], "changed image kept its old features")
    print("ok")
finally:
    for d in tmp:
        shutil.rmtree(d, ignore_errors=True)
