"""What Dask runs on workers. Stores arrive as picklable verger.Store
objects (URI + options, reopened on the worker); statistics travel as the
bytes of PcaStats::Serialize. Every task's output is written atomically
and is the same whoever runs it, so a task Dask re-runs after a worker died
rewrites identical files: no row is lost or duplicated.

The loaded model is cached per worker process in a module-level pool keyed
by the extractor configuration: created by the first task that needs it,
reused by every later task (one per concurrently running task thread,
since an Extractor handles one partition at a time)."""
import contextlib
import threading

from . import _verger

_lock = threading.Lock()
_idle = {}           # config key -> [Extractor] not in use
extractors_created = 0  # per process; tests read it through Client.run


def _config_key(config):
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in config.items()))


@contextlib.contextmanager
def _extractor(config):
    global extractors_created
    key = _config_key(config)
    with _lock:
        pool = _idle.setdefault(key, [])
        ex = pool.pop() if pool else None
    if ex is None:
        ex = _verger.Extractor(**config)
        with _lock:
            extractors_created += 1
    try:
        yield ex
    finally:
        with _lock:
            _idle[key].append(ex)


def cached_extractors():
    """(extractors created in this process, extractors cached now)."""
    with _lock:
        return extractors_created, sum(len(v) for v in _idle.values())


def extract_partition(config, input_store, output_store, items, index, stop_after_errors):
    """Extractor.run_partition with the worker's cached model, plus what the manifest records about it."""
    with _extractor(config) as ex:
        result = ex.run_partition(input_store, output_store, items, index, stop_after_errors)
        result["backend"] = ex.backend
        result["threads"] = ex.threads
    result["index"] = index
    return result


def partition_stats(output_store, partition, fmt, dim):
    """Serialized statistics of a partition: `partition` is its marker, or an extract_partition result."""
    marker = partition.get("marker", partition) if isinstance(partition, dict) and "ok" in partition else partition
    return _verger.partition_pca_stats(output_store, marker, fmt, dim)


def merge_stats(left, right):
    return _verger.merge_stats(left, right)


def fit(output_store, stats, components, variance, whiten, source_hash):
    return _verger.fit_pca(output_store, stats, components=components, variance=variance, whiten=whiten,
                           source_hash=source_hash)


def transform_partition(output_store, marker, in_format, out_formats, source_hash, stride, fitted):
    """Projects one partition; `fitted` (the fit task's result) only orders it after the fit."""
    return _verger.transform_partition(output_store, marker, in_format, out_formats, source_hash, stride)
