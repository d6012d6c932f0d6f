"""Incremental runs: after adding 20 images, changing 5 (new bytes, size, mtime) and removing 5, a
`verger run --incremental` computes exactly the 25 new/changed images (image-level reuse, although the
added keys shift every later partition boundary), its output rows are exactly the new input set, the
features are byte-identical to a from-scratch run over the new input, the PCA model is kept unless
--refit-pca, and the manifest records key, size and mtime of every image."""
import json
import os
import shutil

from reliability_util import *  # noqa: F403

tmp = [tempdir("inc_in"), tempdir("inc_out"), tempdir("inc_fresh")]
inp, out, fresh = tmp


def pca_bytes(d):
    return {f: open(os.path.join(d, "pca", f), "rb").read() for f in sorted(os.listdir(os.path.join(d, "pca")))
            if f.endswith((".npy", ".json"))}


try:
    before = copy_images(inp, 30)  # 300 images, 6 partitions of 50
    args = ["--input", inp, "--model", "squeezenet", "--partition-size", "50", "--format", "csv",
            "--components", "8", "--threads", "2", "--progress", "none"]
    run_verger("run", *args, "--output", out)
    rows1, _ = read_feature_csvs(out)
    pca1 = pca_bytes(out)
    check(sorted(rows1) == sorted(before), "first run rows")

    added = copy_images(inp, 2, offset=30)  # 20 new keys spread over every class (and partition)
    removed = [before[i] for i in (3, 70, 150, 220, 299)]
    for k in removed:
        os.remove(os.path.join(inp, k))
    changed = [before[i] for i in (10, 95, 160, 200, 260)]
    for i, k in enumerate(changed):
        donor = os.path.join(TRAINING, before[(before.index(k) + 37 + i) % len(before)])
        data = open(donor, "rb").read()
        check(len(data) != os.path.getsize(os.path.join(inp, k)), "changed file must change size")
        with open(os.path.join(inp, k), "wb") as fh:
            fh.write(data)
    now = sorted(set(before) - set(removed) | set(added))
    check(len(now) == 315, len(now))

    p = run_verger("run", *args, "--output", out, "--incremental")
    m = read_manifest(out)
    print(p.stderr.strip().splitlines()[0])
    check(m["images"]["computed"] == 25, f"computed {m['images']['computed']} images, expected 20 added + 5 changed")
    check(m["images"]["reused"] == 290 and m["images"]["ok"] == 315, m["images"])
    check("(25 computed, 290 reused)" in p.stderr, "summary line counts")
    rows2, _ = read_feature_csvs(out)
    check(sorted(rows2) == now, "output rows must be exactly the new input set")
    check(not set(removed) & set(rows2), "removed images must disappear")
    for k in set(before) - set(removed) - set(changed):
        check(rows2[k] == rows1[k], f"{k}: unchanged image's features changed")
    for k in changed:
        check(rows2[k] != rows1[k], f"{k}: changed image kept its old features")
    recorded = {}
    for part in m["partitions"]:
        check("inputs" not in part, "per-image inputs belong in the markers, not the manifest")
        with open(os.path.join(out, "_partitions", part["name"] + ".json")) as f:
            marker = json.load(f)
        for key, size, mtime, etag in marker["inputs"]:
            check(key not in recorded, f"{key} recorded twice")
            st = os.stat(os.path.join(inp, key))
            check(size == st.st_size and mtime == st.st_mtime_ns and etag == "", f"{key}: inputs record")
            recorded[key] = size
    check(sorted(recorded) == now, "manifest must record exactly the input set")
    check(pca_bytes(out) == pca1, "PCA model must be kept without --refit-pca")
    red, _ = read_feature_csvs(out, "reduced")
    check(sorted(red) == now and all(len(v) == 8 for _, v in red.values()), "reduced rows = the new input set")

    # From scratch over the new input: the same features, byte for byte.
    run_verger("run", *args, "--output", fresh)
    for rel in final_files(fresh):
        if rel.startswith("features/") and rel.endswith(".csv"):
            check(open(os.path.join(fresh, rel), "rb").read() == open(os.path.join(out, rel), "rb").read(),
                  f"{rel}: incremental output differs from a fresh run")
    check(final_files(fresh) == final_files(out), "same file set as a fresh run")

    # Nothing changed + --refit-pca: nothing computed, PCA refitted = the fresh run's model.
    p = run_verger("run", *args, "--output", out, "--incremental", "--refit-pca")
    m = read_manifest(out)
    check(m["images"]["computed"] == 0 and m["partitions_reused"] == 7, (m["images"], m["partitions_reused"]))
    pca3, pcaf = pca_bytes(out), pca_bytes(fresh)
    for f in pcaf:
        if f.endswith(".npy"):
            check(pca3[f] == pcaf[f], f"pca/{f}: refit differs from a fresh fit")
    check(pca3 != pca1, "--refit-pca must refit")
    compare_outputs(fresh, out)
    print("ok")
finally:
    for d in tmp:
        shutil.rmtree(d, ignore_errors=True)
