"""verger from Python: the C++ engine's building blocks (planning, one
partition's extraction, PCA statistics, fit, transform) and a numpy API.

    import verger
    f = verger.Featurizer("mobilenetv2")
    x = f.features(["a.jpg", open("b.png", "rb").read()])   # (2, 1280) float32
    paths, labels, feats = verger.read_features("out/")     # what `verger run` wrote

Every engine error is raised as a verger.VergerError subclass that is also
the matching built-in exception (ValueError, FileNotFoundError, ...), with
the engine's message. Cluster mode: `python3 -m verger.dask --help`.
"""
import json

from . import errors
from .errors import (AlreadyExistsError, CancelledError, CorruptError, InternalError, InvalidArgumentError,
                     NotFoundError, PermissionDeniedError, ResourceExhaustedError, UnsupportedError, VergerError,
                     VergerIOError)
from . import _verger
from ._verger import (SCATTER_MAX_POINTS, Extractor, Store, features_manifest, finish_transform, fit_pca,
                      list_images, merge_stats, object_sizes, open_store, partition_inputs_hash, partition_is_complete,
                      partition_marker_key, partition_name, partition_pca_stats, pca_stats_key, plan_partitions,
                      prepare_output, read_features_manifest, read_json, read_pca_model, remove_unreferenced,
                      stats_info, transform_partition, tree_merge_stats, write_errors_csv, write_json)

__version__ = _verger.__version__


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
        return json.loads(self._impl.spec_json)["backend"], self._impl.backend_choice

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
        """images: a sequence of local paths (str / os.PathLike) or encoded JPEG/PNG bytes.
        Returns an (N, feature_dim) float32 array, row i for images[i]. A bad image raises (e.g. CorruptError,
        UnsupportedError, NotFoundError) with its index and path/size named; TypeError for other objects."""
        return self._impl.features(list(images))


def read_features(out_dir, dataset="features", **store_options):
    """(paths, labels, array) of an output of `verger extract`/`run` (or cluster mode): dataset "features"
    (N x feature_dim) or "reduced" (N x components), float32, rows in manifest order (partition, then label).
    out_dir: folder or s3://...; store_options: s3_endpoint, s3_region, s3_path_style."""
    return _verger.read_dataset(open_store(str(out_dir), **store_options), dataset)
