"""What Dask runs on workers. Every task takes the job's options (a plain
dict, the one the client's ExtractJob was made from) and a partition index
or task; statistics travel as the bytes of PcaStats::Serialize. Every
task's output is written atomically and is the same whoever runs it, so a
task Dask re-runs after a worker died rewrites identical files: no row is
lost or duplicated.

The loaded model is cached per worker process in a module-level pool keyed
by the options: created by the first task that needs it, reused by every
later task (one per concurrently running task thread, since a Worker
handles one partition at a time)."""
import contextlib
import threading

from . import _verger

_lock = threading.Lock()
_idle = {}           # options key -> [Worker] not in use
extractors_created = 0  # per process; tests read it through Client.run


def _options_key(options):
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


@contextlib.contextmanager
def _worker(options):
    global extractors_created
    key = _options_key(options)
    with _lock:
        pool = _idle.setdefault(key, [])
        w = pool.pop() if pool else None
    if w is None:
        w = _verger.Worker(options)
        with _lock:
            extractors_created += 1
    try:
        yield w
    finally:
        with _lock:
            _idle[key].append(w)


def cached_extractors():
    """(models loaded in this process, models cached now)."""
    with _lock:
        return extractors_created, sum(len(v) for v in _idle.values())


def run_partition(options, task):
    """One partition with the worker's cached model: a PartitionOutcome for ExtractJob.record."""
    with _worker(options) as w:
        return w.run(task)


def partition_stats(options, index, dim, extracted):
    """Serialized statistics of partition `index`; `extracted` (its extract task, or None when an earlier run's
    partition is kept) only orders this after it."""
    return _verger.run_stats_task(options, index, dim)


def merge_stats(left, right):
    return _verger.merge_stats(left, right)


def fit(options, stats, source_hash):
    """Fits the job's PCA on the merged statistics and writes pca/: {n_samples, dim, components, explained}."""
    return _verger.run_fit_task(options, stats, source_hash)


def transform_partition(options, index, source_hash, stride, fitted):
    """Projects one partition: a TransformOutcome; `fitted` (the fit task's result) only orders it after the fit."""
    return _verger.run_transform_task(options, index, source_hash, stride)
