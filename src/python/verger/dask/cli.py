"""Command line of cluster mode: the options of `verger run` plus where the
cluster is (--scheduler tcp://HOST:PORT, or --local-workers N for a
LocalCluster on this machine). Exit codes as `verger`: 0 done, 1 job
failure (incl. --max-errors exceeded), 2 usage or configuration."""
import argparse
import os
import shlex
import sys

from .. import _verger, cluster
from ..errors import VergerError, exit_code_for


def _formats(text):
    return [f for f in text.split(",") if f]


def parser():
    p = argparse.ArgumentParser(
        prog="verger-dask",
        description="verger run (extract -> fit-pca -> transform) with one Dask task per partition. The output is "
                    "the one `verger run` writes (features/, reduced/, pca/, errors.csv, manifest.json). Every "
                    "worker must import verger (PYTHONPATH=<build>/python) and reach --input/--output.")
    c = p.add_argument_group("cluster")
    where = c.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="Address of a running scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--local-workers", type=int, default=0,
                       help="Worker processes of a LocalCluster on this machine (default: one per core)")
    c.add_argument("--retries", type=int, default=2, help="Times Dask re-runs a failed task (default 2)")
    e = p.add_argument_group("extract (as verger run)")
    e.add_argument("-i", "--input", required=True, help="Folder (or s3://bucket/prefix) of images")
    e.add_argument("-o", "--output", required=True, help="Folder (or s3://bucket/prefix) to write into")
    d = _verger.EXTRACT_DEFAULTS
    e.add_argument("-m", "--model", default=d["model"], help=f"Built-in model or path to a JSON model spec "
                                                             f"(default {d['model']})")
    e.add_argument("--weights", default="", help="Weights file replacing the spec's")
    e.add_argument("--backend", default="", choices=["", "auto", "opencv", "torch"],
                   help="Inference backend replacing the spec's (default auto: torch if LibTorch can run the weights, "
                        "else OpenCV DNN for ONNX; manifest.json says which ran and why)")
    e.add_argument("--device", default="", choices=["", "cpu", "cuda"], help="Device for backend torch")
    e.add_argument("--precision", default="", choices=["", "fp32", "bf16", "int8"], help="Precision for backend torch (int8: a quantized model)")
    e.add_argument("-b", "--batch", type=int, default=d["batch"],
                   help="Images per forward pass (default: the backend's, 32 for torch, 1 for opencv)")
    e.add_argument("-t", "--threads", type=int, default=0,
                   help="Threads per worker task for decoding and inference (0 = the worker's cores; with "
                        "--local-workers N: cores / N)")
    e.add_argument("--io-concurrency", type=int, default=d["io_concurrency"],
                   help="Reads in flight per task (0 = store default)")
    e.add_argument("--partition-size", type=int, default=d["partition_size"],
                   help=f"Images per partition = per task (default {d['partition_size']})")
    e.add_argument("-f", "--format", action="append", type=_formats, default=None,
                   help=f"Output format(s), repeatable or comma-separated: csv, npy, parquet "
                        f"(default {','.join(d['formats'])})")
    e.add_argument("--limit", type=int, default=0, help="Process only the first N images in key order (0 = all)")
    e.add_argument("--overwrite", action="store_true", help="Replace verger's outputs in a non-empty output")
    e.add_argument("--resume", "--incremental", action="store_true",
                   help="Keep complete partitions of an interrupted or earlier run, recompute the rest (whole "
                        "partitions: the rows of unchanged images in a changed partition are recomputed, not copied)")
    e.add_argument("--max-errors", type=int, default=d["max_errors"],
                   help="Fail once more than N images failed (-1 = never)")
    e.add_argument("--max-pixels", type=int, default=d["max_pixels"], help="Refuse images with more pixels than this")
    e.add_argument("--max-file-bytes", type=int, default=d["max_file_bytes"],
                   help="Refuse input files larger than this many bytes without reading them")
    e.add_argument("--s3-endpoint", default="", help="S3-compatible endpoint URL")
    e.add_argument("--s3-region", default="", help="S3 region")
    e.add_argument("--s3-path-style", action="store_true", help="Address buckets as endpoint/bucket/key")
    e.add_argument("--progress", default="auto", choices=["auto", "bar", "log", "none"], help="Progress display")
    k = p.add_argument_group("PCA (as verger run)")
    kk = k.add_mutually_exclusive_group()
    kk.add_argument("-k", "--components", type=int, default=0, help="Keep K principal components")
    kk.add_argument("--variance", type=float, default=0.95,
                    help="Keep the smallest K reaching this variance fraction (default 0.95, as verger run)")
    k.add_argument("--whiten", action="store_true", help="Scale components to unit variance")
    return p


def _package_on_worker_path():
    # LocalCluster workers are new processes: they find verger where this one did.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root] + [p for p in paths if p])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parser().parse_args(argv)
    formats = [f for group in (a.format or [_verger.EXTRACT_DEFAULTS["formats"]]) for f in group]
    o = cluster.JobOptions(
        input=a.input, output=a.output, model=a.model, weights=a.weights, backend=a.backend, device=a.device,
        precision=a.precision, batch=a.batch, threads=a.threads,
        io_concurrency=a.io_concurrency, partition_size=a.partition_size, formats=formats, limit=a.limit,
        overwrite=a.overwrite, resume=a.resume, max_errors=a.max_errors, max_pixels=a.max_pixels,
        max_file_bytes=a.max_file_bytes,
        s3_endpoint=a.s3_endpoint, s3_region=a.s3_region, s3_path_style=a.s3_path_style, components=a.components,
        variance=0.0 if a.components else a.variance, whiten=a.whiten, progress=a.progress, retries=a.retries,
        command_line=" ".join(shlex.quote(x) for x in ["verger-dask"] + list(argv)))
    if a.local_workers < 0:
        print("verger-dask: error: --local-workers must be >= 1", file=sys.stderr)
        return 2
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        print(f"verger-dask: error: Dask is not installed ({e}); apt-get install python3-distributed",
              file=sys.stderr)
        return 2
    local = None
    try:
        if a.scheduler:
            client = Client(a.scheduler, timeout="30s")
        else:
            _package_on_worker_path()
            cores = os.cpu_count() or 1
            n = a.local_workers or cores
            if o.threads == 0:
                o.threads = max(1, cores // n)
            # Without Dask's statistical profiler: its sampling thread in every worker cost about a fifth
            # of the extract throughput of a single-threaded worker (bench/dask_per_core.py).
            import dask
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(local)
        with client:
            workers = len(client.scheduler_info().get("workers", {}))
            print(f"verger-dask: scheduler {client.scheduler.address}, {workers} workers", file=sys.stderr)
            dashboard = client.dashboard_link if "dashboard" in client.scheduler_info().get("services", {}) else None
            print(f"verger-dask: dashboard {dashboard}" if dashboard else
                  "verger-dask: no dashboard (the scheduler serves none)", file=sys.stderr)
            s = cluster.run_job(client, o)
    except VergerError as e:
        print("verger: error: " + str(e).replace("\n", " "), file=sys.stderr)
        return exit_code_for(e)
    except (OSError, TimeoutError) as e:  # cannot reach the scheduler
        print(f"verger-dask: error: {e}", file=sys.stderr)
        return 1
    finally:
        if local is not None:
            local.close()
    print(f"verger: {s.listed} images: {s.ok} ok, {s.failed} failed, {s.partitions} partitions "
          f"({s.partitions_reused} reused, {s.partitions_computed} computed), {s.feature_dim}-d features in "
          f"{s.extract_s:.1f} s ({s.images_per_s:.1f} images/s) -> {s.output_uri}", file=sys.stderr)
    if s.max_errors_exceeded:
        print(f"verger: error: more than {o.max_errors} images failed (--max-errors); see errors.csv",
              file=sys.stderr)
        return 1
    f = s.fit
    print(f"verger: PCA fit on {f['n_samples']} rows x {f['dim']} dims: kept {f['components']} components "
          f"explaining {100 * f['explained']:.2f}% of the variance", file=sys.stderr)
    print(f"verger: projected {s.reduced_rows} rows of {s.partitions} partitions to {f['components']} components; "
          f"job done in {s.wall_s:.1f} s", file=sys.stderr)
    return 0
