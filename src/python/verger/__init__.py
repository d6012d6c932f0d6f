"""verger from Python: turn images into feature rows with the C++ engine,
and read what `verger run` / `verger-dask` wrote, without PyPI packages.

    import verger
    f = verger.Featurizer("mobilenetv2")
    x = f.features(["a.jpg", open("b.png", "rb").read(), rgb_array])   # (3, 1280) float32
    paths, labels, feats = verger.read_features("out/")                # every row at once
    for paths, labels, feats in verger.read_features("out/", by_partition=True):
        ...                                                            # one partition at a time
    df = verger.read_features("out/", as_frame=True)                   # pandas: path, label, dim_0..

Every engine error is raised as a verger.VergerError subclass that is also
the matching built-in exception (ValueError, FileNotFoundError, ...), with
the engine's message. Cluster mode: `verger-dask --help` (python3 -m verger.dask).
"""
import json as _json
import os as _os

from . import errors
from .errors import (AlreadyExistsError, CancelledError, CorruptError, InternalError, InvalidArgumentError,
                     NotFoundError, PermissionDeniedError, ResourceExhaustedError, UnavailableError, UnsupportedError,
                     VergerError, VergerIOError)
from . import _verger

__version__ = _verger.__version__
__all__ = ["Featurizer", "read_features", "read_pca_model", "errors", "VergerError", "VergerIOError",
           "AlreadyExistsError", "CancelledError", "CorruptError", "InternalError", "InvalidArgumentError",
           "NotFoundError", "PermissionDeniedError", "ResourceExhaustedError", "UnsupportedError", "__version__"]


class Featurizer:
    """A loaded network that turns images into feature rows.

    model: built-in name ("mobilenetv2", "squeezenet", "vgg16") or a JSON spec file; weights: a file replacing
    the spec's; backend: "auto" (torch if LibTorch can run the weights, else OpenCV DNN for ONNX), "opencv" or
    "torch" (None: the spec's, auto by default), as `verger extract --backend`; device/precision: as
    `--device`/`--precision`. Images are decoded, resized (Pillow-exact) and normalised exactly as
    `verger extract` does, then run `batch` at a time (None: the backend's default) with `threads` threads
    (0 = all cores). Not thread-safe: one call at a time.
    """

    def __init__(self, model="mobilenetv2", weights=None, batch=None, threads=0, max_pixels=178956970,
                 backend=None, device=None, precision=None):
        self._impl = _verger._Featurizer(str(model), "" if weights is None else str(weights),
                                         0 if batch is None else int(batch), int(threads), int(max_pixels),
                                         backend or "", device or "", precision or "")

    @property
    def backend(self):
        """(backend that runs: "opencv" or "torch", why: e.g. "auto: torch (ONNX imported)")."""
        return _json.loads(self._impl.spec_json)["backend"], self._impl.backend_choice

    @property
    def batch(self):
        """Images per forward pass."""
        return self._impl.batch

    @property
    def feature_dim(self):
        return self._impl.feature_dim

    @property
    def model_hash(self):
        """The spec hash recorded as model_sha256 in manifests."""
        return self._impl.spec_hash

    def features(self, images):
        """images: a list (or other sequence) whose items are local paths (str / os.PathLike), encoded JPEG/PNG
        bytes, or decoded RGB images as height x width x 3 uint8 numpy arrays (numpy.asarray(pil_image)).
        Returns an (N, feature_dim) float32 array, row i for images[i]. A bad image raises (e.g. CorruptError,
        UnsupportedError, NotFoundError) with its index and path/size named; TypeError for other objects, and
        for a single path, bytes or array passed instead of a list."""
        if isinstance(images, (str, bytes, bytearray, _os.PathLike)):
            raise TypeError(f"Featurizer.features takes a list of images, got one {type(images).__name__}: "
                            f"pass a list of paths, e.g. features([{images!r:.60}])")
        if getattr(images, "ndim", None) == 3:
            raise TypeError("Featurizer.features takes a list of images, got one 3-d array: pass a list of "
                            "arrays, e.g. features([image])")
        return self._impl.features(list(images))


def _as_frame(paths, labels, values, prefix):
    try:
        import pandas
    except ImportError as e:
        raise ImportError("as_frame=True needs pandas (Debian: apt install python3-pandas)") from e
    frame = pandas.DataFrame(values, columns=[f"{prefix}{i}" for i in range(values.shape[1])])
    frame.insert(0, "label", labels)
    frame.insert(0, "path", paths)
    return frame


def _read_partitions(store, dataset, indices, prefix, as_frame):
    for index in indices:
        paths, labels, values = _verger.read_dataset(store, dataset, index)
        yield _as_frame(paths, labels, values, prefix) if as_frame else (paths, labels, values)


def read_features(out_dir, dataset="features", by_partition=False, as_frame=False, **store_options):
    """The rows of an output of `verger extract`/`run` (or cluster mode), in manifest order (partition, then
    label), read with verger's own readers (Parquet through its DuckDB: no pyarrow needed).

    dataset: "features" (N x feature_dim) or "reduced" (N x components). Returns (paths, labels, float32
    array); with as_frame=True a pandas DataFrame with columns path, label, dim_0.. (pc_0.. for "reduced").
    by_partition=True returns a generator of those, one per partition, so memory holds one partition at a time.
    out_dir: folder or s3://...; store_options: s3_endpoint, s3_region, s3_path_style."""
    store = _verger.open_store(str(out_dir), **store_options)
    prefix = "dim_" if dataset == "features" else "pc_"
    if by_partition:
        indices = _verger.dataset_partitions(store, dataset)
        return _read_partitions(store, dataset, indices, prefix, as_frame)
    paths, labels, values = _verger.read_dataset(store, dataset)
    return _as_frame(paths, labels, values, prefix) if as_frame else (paths, labels, values)


def read_pca_model(location, **store_options):
    """The PCA model of an output (its folder, or its pca/ folder; local or s3://...): a dict of numpy arrays
    (mean, components, explained_variance, explained_variance_ratio) and scalars (n_samples, whiten,
    source_hash). Projection: (x - mean) @ components.T, divided by sqrt(explained_variance) when whitened."""
    store = _verger.open_store(str(location), **store_options)
    return _verger.read_pca_model(store, "" if store.exists("model.json") else "pca/")
