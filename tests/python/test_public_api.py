"""The user-facing Python API: what `import verger` offers, the Featurizer's
input types, and read_features by partition and as a pandas DataFrame."""
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

import verger
from conftest import TRAINING

VERGER_BIN = os.environ.get("VERGER_BIN", "")
CLUSTER_INTERNALS = {"Extractor", "Store", "features_manifest", "finish_transform", "fit_pca", "list_images",
                     "merge_stats", "object_sizes", "open_store", "partition_inputs_hash", "partition_is_complete",
                     "partition_marker_key", "partition_name", "partition_pca_stats", "pca_stats_key",
                     "plan_partitions", "prepare_output", "read_features_manifest", "read_json", "remove_unreferenced",
                     "stats_info", "transform_partition", "tree_merge_stats", "write_errors_csv", "write_json",
                     "SCATTER_MAX_POINTS"}


@pytest.fixture(scope="module")
def small_output(tmp_path_factory):
    """`verger run` (Parquet, 3 partitions) over 3 labels x 8 training images."""
    assert VERGER_BIN, "VERGER_BIN must point at the verger binary"
    root = tmp_path_factory.mktemp("verger_public")
    images = root / "images"
    for label in sorted(os.listdir(TRAINING))[:3]:
        (images / label).mkdir(parents=True)
        for name in sorted(os.listdir(os.path.join(TRAINING, label)))[:8]:
            shutil.copy(os.path.join(TRAINING, label, name), images / label / name)
    out = root / "out"
    subprocess.run([VERGER_BIN, "run", "--input", str(images), "--output", str(out), "--partition-size", "8",
                    "--threads", "2", "--components", "3", "--progress", "none"], check=True)
    return str(out)


def test_public_namespace_holds_only_user_facing_names():
    public = {n for n in dir(verger) if not n.startswith("_")}
    assert not public & CLUSTER_INTERNALS, sorted(public & CLUSTER_INTERNALS)
    assert {"Featurizer", "read_features", "read_pca_model", "VergerError"} <= public
    assert set(verger.__all__) <= set(dir(verger))
    from verger import _cluster
    assert CLUSTER_INTERNALS <= set(dir(_cluster))


def test_a_single_path_or_bytes_is_a_type_error():
    f = verger.Featurizer("mobilenetv2", batch=2, threads=1)
    for one in ("a.jpg", b"\xff\xd8", __import__("pathlib").Path("a.jpg")):
        with pytest.raises(TypeError, match="pass a list of paths"):
            f.features(one)
    with pytest.raises(TypeError, match="pass a list of arrays"):
        f.features(np.zeros((4, 4, 3), np.uint8))


def test_decoded_arrays_are_images():
    f = verger.Featurizer("mobilenetv2", batch=4, threads=2)
    label = sorted(os.listdir(TRAINING))[1]
    paths = [os.path.join(TRAINING, label, n) for n in sorted(os.listdir(os.path.join(TRAINING, label)))[:3]]
    arrays = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    assert arrays[0].dtype == np.uint8 and arrays[0].ndim == 3
    from_files = f.features(paths)
    from_arrays = f.features(arrays)
    # Pillow and verger decode JPEG with the same libjpeg-turbo: identical pixels, identical rows.
    assert np.array_equal(from_files, from_arrays)
    # A non-contiguous view (every other row) is an image too: the half-height picture.
    half = f.features([arrays[0][::2]])
    assert half.shape == (1, 1280) and not np.array_equal(half[0], from_files[0])
    with pytest.raises(TypeError, match=r"input\[0\].*uint8"):
        f.features([arrays[0].astype(np.float32)])
    with pytest.raises(TypeError, match=r"HxWx3|height x width x 3"):
        f.features([arrays[0][:, :, :2]])


def test_read_features_by_partition(small_output):
    paths, labels, values = verger.read_features(small_output)
    assert len(paths) == 24 and values.shape == (24, 1280) and values.dtype == np.float32
    parts = verger.read_features(small_output, by_partition=True)
    assert iter(parts) is parts  # a generator: one partition in memory at a time
    parts = list(parts)
    assert len(parts) == 3 and all(len(p[0]) == 8 for p in parts)
    assert sum((p[0] for p in parts), []) == paths
    assert np.array_equal(np.concatenate([p[2] for p in parts]), values)
    reduced = list(verger.read_features(small_output, "reduced", by_partition=True))
    assert len(reduced) == 3 and reduced[0][2].shape == (8, 3)


def test_read_features_as_pandas_frame(small_output):
    import pandas
    frame = verger.read_features(small_output, as_frame=True)
    paths, labels, values = verger.read_features(small_output)
    assert isinstance(frame, pandas.DataFrame) and frame.shape == (24, 2 + 1280)
    assert list(frame.columns[:3]) == ["path", "label", "dim_0"] and frame.columns[-1] == "dim_1279"
    assert frame["path"].tolist() == paths and frame["label"].tolist() == labels
    assert np.array_equal(frame.iloc[:, 2:].to_numpy(), values)
    reduced = verger.read_features(small_output, "reduced", as_frame=True)
    assert list(reduced.columns) == ["path", "label", "pc_0", "pc_1", "pc_2"]
    frames = list(verger.read_features(small_output, by_partition=True, as_frame=True))
    assert [len(f) for f in frames] == [8, 8, 8] and frames[1]["label"].nunique() == 1


def test_read_pca_model_from_output_or_pca_folder(small_output):
    a = verger.read_pca_model(small_output)
    b = verger.read_pca_model(os.path.join(small_output, "pca"))
    assert a["components"].shape == (3, 1280) and np.array_equal(a["components"], b["components"])
