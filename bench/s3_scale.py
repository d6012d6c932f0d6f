#!/usr/bin/python3
"""Reading from S3 at scale against local disk, in one command (run as root: it starts Ceph RGW).

Stages a synthetic collection (bench/scale_data.py, default 20,000 images over 1,000 labels) into a
throw-away Ceph RGW (scripts/rgw/start, memstore), then measures in the same run:

  listing   verger's S3 listing of every object (ListObjectsV2, pages of 1,000): seconds, pages/s
  local     `verger extract` from the local folder, trivial model, CSV output to a local folder
  s3        the same from s3://, same output kind; ratio = s3 images/s / local images/s

Medians of --reps runs. Usage: bench/s3_scale.py [--build build/release] [--images 20000] [--reps 3]
                                                 [--out FILE.md] [--json FILE.json]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "s3"))
import scale_data  # noqa: E402
from scale import built, cpu_description, emit_report, summary_counts  # noqa: E402
from rgw import Gateway  # noqa: E402

SRC = os.path.dirname(HERE)


def timed(cmd, env):
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"s3_scale.py: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return time.monotonic() - t0, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build", "release"))
    ap.add_argument("--shared", default=os.environ.get("VERGER_SHARED_DIR", os.path.join(SRC, "..", "shared")))
    ap.add_argument("--images", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", default="/tmp/verger-scale")
    ap.add_argument("--out")
    ap.add_argument("--json")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    verger, s3_copy = built(build, "verger"), built(build, "s3_copy")
    sys.path.insert(0, os.path.join(build, "python"))
    from verger import _cluster as vg  # the engine's listing, as cluster mode uses it

    os.makedirs(args.work, exist_ok=True)
    pool = scale_data.make_pool(args.shared, args.work)
    spec = scale_data.make_model(os.path.join(args.work, "model"))
    folder = os.path.join(args.work, f"in-{args.images}")
    scale_data.make_collection(pool, folder, args.images)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    tmp = tempfile.mkdtemp(prefix="verger-s3-scale-")
    runs = {"listing_s": [], "local": [], "s3": []}
    try:
        with Gateway() as gw:
            env = gw.client_env()
            endpoint = gw.env["AWS_ENDPOINT_URL"]
            t0 = time.monotonic()
            timed([s3_copy, folder, "s3://verger-scale/in", "--create-bucket"], env)
            stage_s = time.monotonic() - t0
            print(f"s3_scale: staged {args.images:,} objects in {stage_s:.0f} s", file=sys.stderr)
            os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
            store = vg.open_store("s3://verger-scale/in", s3_endpoint=endpoint)
            for rep in range(args.reps):
                t0 = time.monotonic()
                items, problems = vg.list_images(store, 0)
                runs["listing_s"].append(time.monotonic() - t0)
                if len(items) != args.images or problems:
                    sys.exit(f"s3_scale.py: listed {len(items)} of {args.images} objects, problems {problems[:3]}")
                for where, source in (("local", folder), ("s3", "s3://verger-scale/in")):
                    out = os.path.join(tmp, f"out-{where}")
                    shutil.rmtree(out, ignore_errors=True)
                    wall, err = timed([verger, "extract", "--input", source, "--output", out, "--model", spec,
                                       "--format", "csv", "--batch", "64", "--s3-endpoint", endpoint,
                                       "--progress", "none"], env)
                    counts = summary_counts(err)
                    if counts["ok"] != args.images:
                        sys.exit(f"s3_scale.py: {where} run did {counts}")
                    with open(os.path.join(out, "manifest.json")) as f:
                        stages = json.load(f)["stage_seconds"]
                    runs[where].append({"wall_s": wall, "stages": stages})
                    print(f"s3_scale: {where} {wall:.1f} s ({args.images / wall:,.0f} images/s)", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    listing = statistics.median(runs["listing_s"])
    local = statistics.median(r["wall_s"] for r in runs["local"])
    s3 = statistics.median(r["wall_s"] for r in runs["s3"])
    cpu = cpu_description()
    report = {"started": started, "cpu": cpu, "images": args.images, "stage_s": stage_s, "runs": runs,
              "load_before": load_before, "load_after": os.getloadavg()[0]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    pages = -(-args.images // 1000)
    text = (f"Measured {started} on {cpu['model']} ({cpu['vcpus']} vCPU), {args.images:,} objects on a local Ceph "
            f"RGW (memstore), trivial model, CSV output on local disk, load average {load_before:.1f} before, "
            f"{report['load_after']:.1f} after, medians of {args.reps} run(s).\n\n"
            "| measurement | seconds | rate |\n|---|---|---|\n"
            f"| S3 listing ({pages} pages of 1,000) | {listing:.2f} | {pages / listing:,.1f} pages/s, "
            f"{args.images / listing:,.0f} objects/s |\n"
            f"| extract from local disk | {local:.1f} | {args.images / local:,.0f} images/s |\n"
            f"| extract from S3 | {s3:.1f} | {args.images / s3:,.0f} images/s |\n\n"
            f"S3 / local: {local / s3:.2f}x.\n")
    emit_report(text, args.out)


if __name__ == "__main__":
    main()
