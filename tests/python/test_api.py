"""The Python module against the engine it wraps: errors, stores, planning,
one partition, PCA building blocks, Featurizer and the readers."""
import glob
import os
import pickle
import subprocess

import numpy as np
import pytest

import verger
from verger import _cluster as vc
from conftest import TRAINING

VERGER_BIN = os.environ.get("VERGER_BIN", "")


def training_items(limit):
    items, problems = vc.list_images(vc.open_store(TRAINING), limit)
    assert problems == []
    return items


# ---- errors ----

def test_not_found_is_filenotfounderror_with_engine_message():
    with pytest.raises(verger.NotFoundError) as e:
        vc.open_store("/nonexistent/verger-input")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, verger.VergerError)
    assert str(e.value) == "/nonexistent/verger-input: no such directory"
    assert e.value.code == "NotFound"


def test_invalid_argument_is_valueerror():
    with pytest.raises(ValueError, match="--batch must be between 1 and 4096"):
        vc.Extractor(batch=-1)  # 0 = the backend's default
    with pytest.raises(verger.InvalidArgumentError):
        vc.Extractor(formats=["xls"])


def test_unknown_model_names_builtins():
    with pytest.raises(verger.NotFoundError) as e:
        verger.Featurizer("no-such-model")
    assert "no-such-model" in str(e.value) and "mobilenetv2" in str(e.value)


def test_errors_pickle_with_class_and_message():
    err = verger.errors.error_class("Corrupt")("x.jpg: broken")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is verger.CorruptError and str(back) == "x.jpg: broken" and isinstance(back, ValueError)


# ---- stores and planning ----

def test_store_roundtrip_and_pickle(tmp_out):
    s = vc.open_store(os.path.join(tmp_out, "new"), create=True)
    s.write("a/b.bin", b"\x00\x01verger")
    s2 = pickle.loads(pickle.dumps(s))
    assert s2.uri == s.uri and s2.read("a/b.bin") == b"\x00\x01verger"
    objects, problems = s2.list("")
    assert [o[0] for o in objects] == ["a/b.bin"] and objects[0][1] == 8 and problems == []
    assert s2.exists("a/b.bin")
    s2.delete("a/b.bin")
    assert not s.exists("a/b.bin")
    with pytest.raises(verger.NotFoundError, match="a/b.bin"):
        s.read("a/b.bin")


def test_listing_and_plan_cover_every_image_once():
    items = training_items(0)
    keys = [i[0] for i in items]
    assert len(items) == 4814 and keys == sorted(keys)
    for key, label, size, _, _ in items[:50]:
        assert label == key.split("/")[0] and size == os.path.getsize(os.path.join(TRAINING, key))
    plan = vc.plan_partitions(len(items), 1000)
    assert [p[0] for p in plan] == list(range(5))
    assert plan[0][1] == 0 and plan[-1][2] == 4814
    assert all(a[2] == b[1] for a, b in zip(plan, plan[1:]))
    assert vc.list_images(vc.open_store(TRAINING), 7)[0] == items[:7]


# ---- one partition ----

def run_one_partition(tmp_out, items, formats=("npy",)):
    ex = vc.Extractor(formats=list(formats), threads=2, write_pca_stats=True)
    out = vc.open_store(tmp_out, create=True)
    r = ex.run_partition(vc.open_store(TRAINING), out, items, 3)
    return ex, out, r


def test_run_partition_writes_marker_tables_and_stats(tmp_out):
    items = training_items(40)
    ex, out, r = run_one_partition(tmp_out, items)
    assert r["ok"] == 40 and r["failed"] == 0 and r["errors"] == []
    assert r["stages"]["inference"] > 0 and r["stages"]["decode"] > 0 and r["stages"]["read"] > 0, r["stages"]
    m = r["marker"]
    assert m["index"] == 3 and m["rows"] == 40 and m["model_sha256"] == ex.spec_hash
    assert out.read(vc.partition_marker_key(3)) and out.exists(vc.pca_stats_key(3))
    assert m["inputs_sha256"] == vc.partition_inputs_hash(items)
    sizes = vc.object_sizes(out)
    # The completeness check reads the marker without its per-image inputs (the hash stands for them).
    assert vc.partition_is_complete(out, sizes, ex, items, 3) == {k: v for k, v in m.items() if k != "inputs"}
    # Another image list, or a file gone, and the partition is not complete.
    assert vc.partition_is_complete(out, sizes, ex, items[:-1], 3) is None
    out.delete(m["files"][0]["key"])
    assert vc.partition_is_complete(out, vc.object_sizes(out), ex, items, 3) is None


def test_featurizer_matches_extract(tmp_out):
    items = training_items(300)[::15]  # 20 images over several labels
    _, out, r = run_one_partition(tmp_out, items)
    rows = {}
    for f in r["marker"]["files"]:
        if f["key"].endswith(".npy"):
            keys = out.read(f["key"][:-4] + ".keys.csv").decode().splitlines()[1:]
            arr = np.load(os.path.join(tmp_out, f["key"]))
            for k, v in zip(keys, arr):
                rows[k.split(",")[0]] = v
    f = verger.Featurizer("mobilenetv2", batch=8, threads=2)
    paths = [os.path.join(TRAINING, i[0]) for i in items]
    x = f.features(paths)
    assert x.shape == (20, 1280) and x.dtype == np.float32 and f.feature_dim == 1280
    expected = np.stack([rows[i[0]] for i in items])
    assert np.max(np.abs(x - expected)) <= 1e-5 * max(1.0, float(np.max(np.abs(expected))))
    with open(paths[0], "rb") as fh:
        data = fh.read()
    from pathlib import Path
    y = f.features([data, Path(paths[1]), bytearray(data)])
    assert np.array_equal(y[0], x[0]) and np.array_equal(y[1], x[1]) and np.array_equal(y[2], x[0])


def test_featurizer_bad_inputs_name_the_input(tmp_out):
    f = verger.Featurizer("mobilenetv2", batch=4, threads=1)
    good = os.path.join(TRAINING, training_items(1)[0][0])
    with pytest.raises(verger.UnsupportedError, match=r"input 1: input\[1\] \(9 bytes\): not a JPEG or PNG"):
        f.features([good, b"not image"])
    with open(good, "rb") as fh:
        truncated = fh.read()[:300]
    with pytest.raises(verger.CorruptError, match=r"input 2: input\[2\]"):
        f.features([good, good, truncated])
    missing = os.path.join(tmp_out, "missing.jpg")
    with pytest.raises(verger.NotFoundError, match="missing.jpg"):
        f.features([missing])
    with pytest.raises(TypeError, match="input 0"):
        f.features([42])
    assert f.features([]).shape == (0, 1280)


# ---- PCA building blocks and readers against the CLI's `verger run` ----

def test_building_blocks_reproduce_verger_run(tmp_out):
    assert VERGER_BIN, "VERGER_BIN must point at the verger binary"
    ref, mine = os.path.join(tmp_out, "ref"), os.path.join(tmp_out, "mine")
    subprocess.run([VERGER_BIN, "run", "--input", TRAINING, "--output", ref, "--limit", "90", "--partition-size",
                    "20", "--format", "csv", "--threads", "2", "--components", "5", "--progress", "none"],
                   check=True)
    # The same job from Python, step by step, as cluster mode composes it.
    src = vc.open_store(TRAINING)
    items, _ = vc.list_images(src, 90)
    ex = vc.Extractor(formats=["csv"], threads=2, write_pca_stats=True)
    out = vc.open_store(mine, create=True)
    vc.prepare_output(out, False)
    markers = [ex.run_partition(src, out, items[b:e], i)["marker"] for i, b, e in vc.plan_partitions(90, 20)]
    stats = [vc.partition_pca_stats(out, m, "csv", 1280) for m in markers]
    pairwise = stats
    while len(pairwise) > 1:
        nxt = [vc.merge_stats(pairwise[i], pairwise[i + 1]) for i in range(0, len(pairwise) - 1, 2)]
        pairwise = nxt + ([pairwise[-1]] if len(pairwise) % 2 else [])
    merged = vc.tree_merge_stats(stats)
    assert pairwise[0] == merged
    dim, count, mean = vc.stats_info(merged)
    assert (dim, count) == (1280, 90) and mean.shape == (1280,)
    fit = vc.fit_pca(out, merged, components=5, source_hash=ex.spec_hash)
    assert fit["components"] == 5 and fit["n_samples"] == 90
    reduced, pc1, pc2, labels = [], [], [], []
    for m in markers:
        r, a, b, c = vc.transform_partition(out, m, "csv", ["csv"], ex.spec_hash, 1)
        reduced.append(r)
        pc1, pc2, labels = pc1 + a, pc2 + b, labels + c
    assert len(pc1) == 90
    vc.write_errors_csv(out, [])
    manifest = vc.features_manifest(ex, markers, command_line="test", input_uri=src.uri, output_uri=out.uri,
                                        partition_size=20, listed=90, ok=90, failed=0, listing_problems=0,
                                        partitions_reused=0, wall_s=1.0, images_per_s=90.0)
    vc.finish_transform(out, manifest, ["csv"], reduced, pc1, pc2, labels)

    for dataset in ("features", "reduced"):
        p1, l1, x1 = verger.read_features(ref, dataset)
        p2, l2, x2 = verger.read_features(mine, dataset)
        assert p1 == p2 and l1 == l2 and len(p1) == 90 and sorted(p1) == [i[0] for i in items]
        assert x1.dtype == np.float32 and np.array_equal(x1, x2), dataset
    a, b = verger.read_pca_model(ref), verger.read_pca_model(mine)
    for k in ("mean", "components", "explained_variance", "explained_variance_ratio"):
        assert np.max(np.abs(a[k] - b[k])) <= 1e-9, k
    m1, m2 = vc.read_json(vc.open_store(ref), "manifest.json"), vc.read_json(out, "manifest.json")
    for k in ("listed", "ok", "failed", "listing_problems"):
        assert m1["images"][k] == m2["images"][k], k
    assert m1["reduced"]["rows"] == m2["reduced"]["rows"] == 90
    assert m1["model_sha256"] == m2["model_sha256"] and m1["partitions"] == m2["partitions"]
    assert sorted(glob.glob(os.path.join(ref, "**"), recursive=True)) == [
        p.replace(mine, ref) for p in sorted(glob.glob(os.path.join(mine, "**"), recursive=True))]


def test_read_features_errors(tmp_out):
    with pytest.raises(verger.NotFoundError, match="run `verger extract`"):
        verger.read_features(tmp_out)
    with pytest.raises(FileNotFoundError):
        verger.read_features(os.path.join(tmp_out, "absent"))
