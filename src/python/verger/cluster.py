"""Cluster mode of `verger run` on a Dask client: the same job, the same
output, with partitions as tasks. The engine's ExtractJob does the work
that is not scheduling:

  1. job.plan() on the client: checks the options, lists the input, prepares
     the output (--overwrite/--resume), keeps complete partitions.
  2. One task per partition left (Worker.run: features + PCA statistics +
     marker); job.record() takes each outcome as it arrives.
  3. Statistics reduced by pairwise merge tasks in TreeMergeStats' tree
     (neighbours level by level), so the merged statistics, hence the PCA
     model, are those of a local run; one fit task writes pca/.
  4. job.finalize() (errors.csv, the features manifest), one transform task
     per partition, then job.finish_transform() writes manifest.json last.
"""
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field

from . import _verger, tasks

_D = _verger.EXTRACT_DEFAULTS  # `verger run`'s defaults


@dataclass
class JobOptions:
    input: str
    output: str
    model: str = _D["model"]
    weights: str = ""
    backend: str = ""        # "" = the spec's; opencv, torch
    device: str = ""         # "" = the spec's; cpu, cuda
    precision: str = ""      # "" = the spec's; fp32, bf16
    batch: int = _D["batch"]
    threads: int = _D["threads"]
    io_concurrency: int = _D["io_concurrency"]
    partition_size: int = _D["partition_size"]
    formats: list = field(default_factory=lambda: list(_D["formats"]))
    limit: int = _D["limit"]
    overwrite: bool = False
    resume: bool = False
    max_errors: int = _D["max_errors"]
    max_pixels: int = _D["max_pixels"]
    max_file_bytes: int = _D["max_file_bytes"]
    s3_endpoint: str = ""
    s3_region: str = ""
    s3_path_style: bool = False
    components: int = 0
    variance: float = 0.0
    whiten: bool = False
    progress: str = "auto"   # auto, bar, log, none
    retries: int = 2         # Dask retries of a failed task
    command_line: str = ""


@dataclass
class JobSummary:
    listed: int = 0
    ok: int = 0
    failed: int = 0
    partitions: int = 0
    partitions_reused: int = 0
    partitions_computed: int = 0
    feature_dim: int = 0
    extract_s: float = 0.0
    images_per_s: float = 0.0
    max_errors_exceeded: bool = False
    fit: dict = None
    reduced_rows: int = 0
    wall_s: float = 0.0
    output_uri: str = ""


class _Progress:
    """Client-side progress: a redrawn line on a terminal, a log line every `interval` s otherwise."""

    def __init__(self, what, total, mode, interval=10.0):
        self.what, self.total, self.done, self.failed = what, total, 0, 0
        self.bar = mode == "bar" or (mode == "auto" and sys.stderr.isatty())
        self.quiet = mode == "none"
        self.interval, self.start, self.last = interval, time.monotonic(), 0.0

    def advance(self, ok, failed, parts_done, parts_total):
        self.done += ok + failed
        self.failed += failed
        now = time.monotonic()
        if self.quiet or (not self.bar and now - self.last < self.interval and parts_done < parts_total):
            return
        self.last = now
        rate = self.done / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate if rate > 0 else 0
        line = (f"verger-dask: {self.what} {self.done}/{self.total} images ({100.0 * self.done / self.total:.0f}%), "
                f"{self.failed} failed, {parts_done}/{parts_total} partitions, {rate:.1f} images/s, ETA {eta:.0f} s")
        sys.stderr.write(("\r" + line + "\033[K") if self.bar else line + "\n")
        sys.stderr.flush()

    def finish(self):
        if self.bar and not self.quiet:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _tree_reduce(client, leaves, retries, token):
    """Pairwise merge tasks, neighbours level by level: TreeMergeStats' tree."""
    level, depth = list(leaves), 0
    while len(level) > 1:
        nxt = [client.submit(tasks.merge_stats, level[i], level[i + 1], retries=retries,
                             key=f"verger-merge-{depth}-{i // 2}-{token}") for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level, depth = nxt, depth + 1
    return level[0]


def _engine_options(o):
    """The job's options as the engine takes them (Dask's retries and the progress display stay here)."""
    d = asdict(o)
    del d["retries"], d["progress"]
    return d


def run_job(client, o):
    """Runs the whole job on `client` (a distributed.Client). Raises verger errors for configuration problems
    and failed tasks; returns a JobSummary (max_errors_exceeded: errors.csv written, no manifest)."""
    from distributed import as_completed

    t0 = time.monotonic()
    token = uuid.uuid4().hex[:8]
    options = _engine_options(o)
    job = _verger.ExtractJob(options)  # checks the options, loads the client's copy of the model
    todo = job.plan()
    planned = job.summary
    s = JobSummary(listed=planned["listed"], partitions=planned["partitions"],
                   partitions_reused=planned["partitions_reused"], partitions_computed=len(todo),
                   feature_dim=job.feature_dim, output_uri=planned["output_uri"])
    if s.partitions_reused:
        sys.stderr.write(f"verger-dask: resuming: {s.partitions_reused} of {s.partitions} partitions complete, "
                         f"computing {s.partitions_computed}\n")
    extract = {t.index: client.submit(tasks.run_partition, options, t, retries=o.retries,
                                      key=f"verger-extract-{t.index}-{token}") for t in todo}

    # The whole statistics tree and the fit are submitted now and run as partitions finish.
    # Only the fit's future is kept: Dask frees each statistics blob once its merge has run.
    leaves = [client.submit(tasks.partition_stats, options, i, job.feature_dim, extract.get(i), retries=o.retries,
                            key=f"verger-stats-{i}-{token}") for i in range(s.partitions)]
    fitted = client.submit(tasks.fit, options, _tree_reduce(client, leaves, o.retries, token), job.spec_hash,
                           retries=o.retries, key=f"verger-fit-{token}")
    del leaves

    progress = _Progress("extract", s.listed, o.progress)
    progress.advance(planned["ok"], planned["failed"], s.partitions_reused, s.partitions)
    done = s.partitions_reused
    for fut in as_completed(list(extract.values())):
        outcome = fut.result()  # a task's error is raised here, with the engine's message
        done += 1
        progress.advance(outcome.ok, outcome.failed, done, s.partitions)
        if not job.record(outcome):
            s.max_errors_exceeded = True
            break
    progress.finish()
    if s.max_errors_exceeded:
        client.cancel(list(extract.values()) + [fitted])
    r = job.finalize(scheduler=client.scheduler.address,
                     workers=len(client.scheduler_info().get("workers", {})),
                     partitions_computed=s.partitions_computed)
    s.extract_s = time.monotonic() - t0
    s.ok, s.failed, s.images_per_s = r["ok"], r["failed"], r["images_per_s"]
    if s.max_errors_exceeded:
        s.wall_s = time.monotonic() - t0
        return s

    s.fit = fitted.result()
    stride = job.scatter_stride()
    transforms = [client.submit(tasks.transform_partition, options, i, job.spec_hash, stride, fitted,
                                retries=o.retries, key=f"verger-transform-{i}-{token}") for i in range(s.partitions)]
    tprogress = _Progress("transform", s.ok, o.progress)
    for n, fut in enumerate(as_completed(transforms), 1):
        tprogress.advance(fut.result().rows, 0, n, len(transforms))
    tprogress.finish()
    s.reduced_rows = job.finish_transform([f.result() for f in transforms])  # partition order
    s.wall_s = time.monotonic() - t0
    return s
