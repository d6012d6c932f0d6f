"""Incremental runs: after adding 20 images, changing 5 (new bytes, size, mtime) and removing 5, a
`verger run --incremental` computes exactly the 25 new/changed images (image-level reuse), keeps the
earlier partitions' boundaries and indices (added images join the partition whose key range holds
them), its output rows are exactly the new input set, every image's
features equal those of a from-scratch run over the new input, the PCA model is kept unless
--refit-pca (and refitted it matches a fresh fit), and the manifest records key, size and mtime of
every image."""
import io
import json
import os
import shutil

import numpy as np

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
    # The six earlier partitions keep their indices and take the images added to their key ranges
    # (up to 2 x 50); only images past the last one's old last key (it was full: an interrupted run
    # would have cut there) make a new partition.
    parts = {part["index"]: part for part in m["partitions"]}
    check(sorted(parts) == list(range(7)) and all(parts[i]["images"] <= 100 for i in range(6)),
          [(part["index"], part["images"]) for part in m["partitions"]])
    check(parts[6]["first_key"] > max(before), f"partition 6 starts at {parts[6]['first_key']}")
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

    # From scratch over the new input: the same features for every image (a fresh run cuts
    # partitions of 50 by count, so the files are cut differently).
    run_verger("run", *args, "--output", fresh)
    rows_fresh, _ = read_feature_csvs(fresh)
    check(rows_fresh == rows2, "incremental features differ from a fresh run's")

    # Nothing changed + --refit-pca: nothing computed, PCA refitted = the fresh run's model (the
    # statistics are merged over other partitions, so equal up to rounding, not bytes).
    p = run_verger("run", *args, "--output", out, "--incremental", "--refit-pca")
    m = read_manifest(out)
    check(m["images"]["computed"] == 0 and m["partitions_reused"] == 7, (m["images"], m["partitions_reused"]))
    pca3, pcaf = pca_bytes(out), pca_bytes(fresh)
    check(sorted(pca3) == sorted(pcaf), "same PCA files")
    for f in pcaf:
        if f.endswith(".npy"):
            a, b = np.load(io.BytesIO(pca3[f])), np.load(io.BytesIO(pcaf[f]))
            check(a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5),
                  f"pca/{f}: refit differs from a fresh fit (max diff {np.abs(a - b).max()})")
    check(pca3 != pca1, "--refit-pca must refit")
    red, _ = read_feature_csvs(out, "reduced")
    red_fresh, _ = read_feature_csvs(fresh, "reduced")
    check(sorted(red) == sorted(red_fresh), "reduced rows = the fresh run's")
    for k, (label, v) in red_fresh.items():
        check(red[k][0] == label and np.allclose(red[k][1], v, rtol=1e-4, atol=1e-4), f"{k}: projection differs")
    print("ok")
finally:
    for d in tmp:
        shutil.rmtree(d, ignore_errors=True)
