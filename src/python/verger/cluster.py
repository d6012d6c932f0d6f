"""Cluster mode of `verger run` on a Dask client: the same job, the same
output, with partitions as tasks.

  1. Plan on the client: list the input, cut it into partitions
     (PlanPartitions), keep complete partitions of an earlier run (--resume).
  2. One task per partition to extract (features + PCA statistics + marker).
  3. Statistics reduced by pairwise merge tasks in TreeMergeStats' tree
     (neighbours level by level), so the merged statistics, hence the PCA
     model, are those of a local run; one fit task writes pca/.
  4. One transform task per partition, then errors.csv, the scatter picture
     and manifest.json, written last by the client.
"""
import math
import sys
import time
import uuid
from dataclasses import dataclass, field

from . import _verger, tasks
from .errors import InvalidArgumentError

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


def _check_options(o):
    # Same checks and messages as RunExtract / RunFitPca.
    if o.partition_size < 1:
        raise InvalidArgumentError("--partition-size must be at least 1")
    if o.limit < 0:
        raise InvalidArgumentError("--limit must be >= 0 (0 = no limit)")
    if o.resume and o.overwrite:
        raise InvalidArgumentError("give --resume or --overwrite, not both")
    if o.components < 0:
        raise InvalidArgumentError("--components must be positive")
    if o.variance < 0 or o.variance > 1:
        raise InvalidArgumentError("--variance must be in (0, 1]")
    if o.components > 0 and o.variance > 0:
        raise InvalidArgumentError("give --components or --variance, not both")


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


def run_job(client, o):
    """Runs the whole job on `client` (a distributed.Client). Raises verger errors for configuration problems
    and failed tasks; returns a JobSummary (max_errors_exceeded: errors.csv written, no manifest)."""
    from distributed import as_completed

    t0 = time.monotonic()
    _check_options(o)
    token = uuid.uuid4().hex[:8]
    config = dict(model=o.model, weights=o.weights, batch=o.batch, threads=o.threads,
                  io_concurrency=o.io_concurrency, formats=list(o.formats), max_pixels=o.max_pixels,
                  max_file_bytes=o.max_file_bytes,
                  write_pca_stats=True, backend=o.backend, device=o.device, precision=o.precision)
    # The client's own copy: model hash and dimension for the resume checks and the manifest.
    extractor = _verger.Extractor(**config)
    s3 = dict(s3_endpoint=o.s3_endpoint, s3_region=o.s3_region, s3_path_style=o.s3_path_style)
    input_store = _verger.open_store(o.input, **s3)
    items, problems = _verger.list_images(input_store, o.limit)
    if not items:
        raise InvalidArgumentError(input_store.uri + ": no .jpg, .jpeg or .png images found (label = parent folder)")
    output = _verger.open_store(o.output, create=True, **s3)
    if o.resume:
        output.delete("manifest.json")  # it no longer describes what is there once we start
        sizes = _verger.object_sizes(output)
    else:
        _verger.prepare_output(output, o.overwrite)

    plan = _verger.plan_partitions([i[0] for i in items], o.partition_size, output if o.resume else None)
    s = JobSummary(listed=len(items), partitions=len(plan), feature_dim=extractor.feature_dim,
                   output_uri=output.uri)
    markers, part_errors, extract_futures = {}, {}, {}
    for index, begin, end in plan:
        if o.resume:
            marker = _verger.partition_is_complete(output, sizes, extractor, items[begin:end], index)
            # Failed images are always retried, as `verger run --resume` does: the partition is recomputed.
            if marker is not None and not marker["failed"]:
                markers[index] = marker
                part_errors[index] = [(e["key"], e["reason"]) for e in marker["errors"]]
                s.partitions_reused += 1
    known_errors = len(problems) + sum(len(e) for e in part_errors.values())
    budget = -1 if o.max_errors < 0 else max(0, o.max_errors - known_errors)
    for index, begin, end in plan:
        if index not in markers:
            extract_futures[index] = client.submit(
                tasks.extract_partition, config, input_store, output, items[begin:end], index, budget,
                retries=o.retries, key=f"verger-extract-{index}-{token}")
    s.partitions_computed = len(extract_futures)
    if s.partitions_reused:
        sys.stderr.write(f"verger-dask: resuming: {s.partitions_reused} of {len(plan)} partitions complete, "
                         f"computing {s.partitions_computed}\n")

    # The whole statistics tree and the fit are submitted now and run as partitions finish.
    fmt0 = o.formats[0]
    # Only the fit's future is kept: Dask frees each statistics blob once its merge has run.
    leaves = [client.submit(tasks.partition_stats, output, extract_futures.get(i, markers.get(i)), fmt0,
                            extractor.feature_dim, retries=o.retries, key=f"verger-stats-{i}-{token}")
              for i, _, _ in plan]
    fitted = client.submit(tasks.fit, output, _tree_reduce(client, leaves, o.retries, token), o.components,
                           o.variance, o.whiten, extractor.spec_hash, retries=o.retries, key=f"verger-fit-{token}")
    del leaves

    progress = _Progress("extract", len(items), o.progress)
    for index in markers:
        progress.advance(markers[index]["rows"], markers[index]["failed"], 0, len(plan))
    backend, threads, computed_ok, done = "", 0, 0, len(markers)
    stages = {}  # busy seconds per stage, summed over the partitions computed (all workers)
    errors_so_far = known_errors
    for fut in as_completed(list(extract_futures.values())):
        r = fut.result()  # a task's error is raised here, with the engine's message
        done += 1
        index = r["index"]
        part_errors[index] = [tuple(e) for e in r["errors"]]
        errors_so_far += len(r["errors"])
        computed_ok += r["ok"]
        for stage, seconds in r["stages"].items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        backend, threads = backend or r["backend"], threads or r["threads"]
        progress.advance(r["ok"], r["failed"], done, len(plan))
        if o.max_errors >= 0 and errors_so_far > o.max_errors:
            s.max_errors_exceeded = True
            break
        markers[index] = r["marker"]
    progress.finish()
    if o.max_errors >= 0 and errors_so_far > o.max_errors:
        s.max_errors_exceeded = True
    s.extract_s = time.monotonic() - t0
    # Speed counts the images this run computed, not partitions it reused.
    s.images_per_s = computed_ok / s.extract_s if s.extract_s > 0 else 0
    errors = [tuple(p) for p in problems]
    for index, _, _ in plan:
        errors += part_errors.get(index, [])
    if s.max_errors_exceeded:
        s.failed = len(errors)
        client.cancel(list(extract_futures.values()) + [fitted])
        _verger.write_errors_csv(output, errors)
        s.wall_s = time.monotonic() - t0
        return s
    partitions = [markers[i] for i, _, _ in plan]
    s.ok = sum(p["rows"] for p in partitions)
    # As `verger run` counts: every errors.csv row, listing problems included (the manifest keeps them apart).
    s.failed = sum(p["failed"] for p in partitions) + len(problems)

    s.fit = fitted.result()
    stride = max(1, math.ceil(s.ok / _verger.SCATTER_MAX_POINTS))
    transforms = [client.submit(tasks.transform_partition, output, p, fmt0, list(o.formats), extractor.spec_hash,
                                stride, fitted, retries=o.retries, key=f"verger-transform-{p['index']}-{token}")
                  for p in partitions]
    tprogress = _Progress("transform", s.ok, o.progress)
    results = {}
    for n, fut in enumerate(as_completed(transforms), 1):
        r = fut.result()
        results[r[0]["index"]] = r
        tprogress.advance(r[0]["rows"], 0, n, len(transforms))
    tprogress.finish()
    reduced, pc1, pc2, labels = [], [], [], []
    for p in partitions:  # partition order, as the local transform samples rows
        entry, a, b, c = results[p["index"]]
        reduced.append(entry)
        pc1 += a
        pc2 += b
        labels += c
    s.reduced_rows = sum(r["rows"] for r in reduced)

    # Outputs of killed or superseded tasks (temporary files, stale partitions) go before the manifest.
    _verger.remove_unreferenced(output, partitions)
    keep = {f["key"] for r in reduced for f in r["files"]}
    for key, *_ in output.list("reduced/")[0]:
        if key not in keep:
            output.delete(key)
    _verger.write_errors_csv(output, errors)
    manifest = _verger.features_manifest(
        extractor, partitions, command_line=o.command_line, input_uri=input_store.uri, output_uri=output.uri,
        partition_size=o.partition_size, listed=len(items), ok=s.ok, failed=s.failed - len(problems),
        listing_problems=len(problems), partitions_reused=s.partitions_reused, wall_s=s.extract_s,
        images_per_s=s.images_per_s, backend=backend, threads=threads, stage_seconds=stages)
    if "computed" in manifest["images"]:  # rows kept from an earlier run vs computed now, as `verger run` counts
        manifest["images"]["computed"] = computed_ok
        manifest["images"]["reused"] = s.ok - computed_ok
    workers = client.scheduler_info().get("workers", {})
    manifest["cluster"] = {"engine": "dask", "scheduler": client.scheduler.address, "workers": len(workers),
                           "partitions_computed": s.partitions_computed}
    _verger.finish_transform(output, manifest, list(o.formats), reduced, pc1, pc2, labels)
    s.wall_s = time.monotonic() - t0
    return s
