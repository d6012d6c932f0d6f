#!/usr/bin/python3
"""How verger scales with the size of the collection, in one command.

For each N of --sizes it makes a synthetic collection (bench/scale_data.py: N hard links to 500
fruits-360 photos over 1,000 label folders) and a trivial ONNX model (1x1 convolution + global
average pool on 32x32 input, so inference is nearly free), then measures `verger extract`:

  full        a fresh run: wall time, end-to-end images/s (N / wall, everything included), peak RSS
              (the process's ru_maxrss from wait4), listing + planning seconds (manifest
              stage_seconds.list), bytes of the partition markers (_partitions/) and manifest.json
  no-change   the same command with --resume on the unchanged collection
  +1%         N/100 new images spread over every label (names that sort between existing ones, so
              most partitions get some), then --resume; the summary line must say N/100 computed
and, as the baseline measured in the same run, bench/image_bench's BM_Fruits_DecodeOnly (JPEG decode
of the same 500 photos, one core): e2e is compared with it times verger's thread count.

Medians of --reps runs of each measurement. Prints a Markdown table and writes it (--out) and
the raw figures as JSON (--json).

--memory-only runs only the full runs and, with --max-rss-ratio R, exits 1 unless the peak RSS of
every size is at most R times that of the smallest: the memory-flatness check CTest runs
(scale_memory_flat). It asserts memory, never time.

Usage: bench/scale.py [--build build/release] [--sizes 10000,100000,1000000] [--reps 1]
                      [--work /tmp/verger-scale] [--out FILE.md] [--json FILE.json]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale_data  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"verger: (\d+) images: (\d+) ok \((\d+) computed, (\d+) reused\), (\d+) failed")


def run_measured(cmd):
    """Runs `cmd`; returns (wall seconds, CPU seconds (user + system: less sensitive to a busy machine
    than wall time), peak RSS in MiB, stderr). Exits on failure."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"scale.py: {' '.join(cmd)} exited {p.returncode}:\n{err[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, err


def summary_counts(stderr):
    m = SUMMARY.search(stderr)
    if not m:
        sys.exit(f"scale.py: no summary line in verger's output:\n{stderr[-2000:]}")
    listed, ok, computed, reused, failed = map(int, m.groups())
    return {"listed": listed, "ok": ok, "computed": computed, "reused": reused, "failed": failed}


def read_manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def tree_bytes(path):
    total = 0
    for d, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def cpu_description():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name")), "unknown")
    flags = next((l.split(":", 1)[1].split() for l in out.splitlines() if l.startswith("Flags")), [])
    wanted = [f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "avx_vnni")]
    return {"model": model, "vcpus": os.cpu_count(), "flags": wanted}


def emit_report(text, path):
    """Prints a benchmark's Markdown report, and writes it to `path` when one is given (--out)."""
    print(text)
    if path:
        with open(path, "w") as f:
            f.write(text)


def built(build, name):
    """Path of a binary of the build tree (bin/, or the folder CMake builds it in), or exits."""
    for sub in ("bin", "src/cli", "bench", "src/io"):
        path = os.path.join(build, sub, name)
        if os.path.exists(path):
            return path
    sys.exit(f"{os.path.basename(sys.argv[0])}: {name} not found in {build}: build it first "
             f"(cmake --build {build} --target {name})")


def decode_only_rate(build, shared, reps):
    """Median images/s of image_bench's JPEG decode of the pool photos, one core."""
    binary = built(build, "image_bench")
    r = subprocess.run([binary, "--benchmark_filter=^BM_Fruits_DecodeOnly$", f"--benchmark_repetitions={reps}",
                        "--benchmark_format=json"], capture_output=True, text=True,
                       env=dict(os.environ, VERGER_SHARED_DIR=shared))
    if r.returncode != 0:
        sys.exit(f"scale.py: {binary} failed:\n{r.stderr[-2000:]}")
    rates = [b["items_per_second"] for b in json.loads(r.stdout)["benchmarks"] if b.get("run_type") == "iteration"]
    return statistics.median(rates)


def measure_size(args, verger, spec, pool, n):
    folder = os.path.join(args.work, f"in-{n}")
    t0 = time.monotonic()
    scale_data.make_collection(pool, folder, n)
    print(f"scale: {n:,} images ready in {folder} ({time.monotonic() - t0:.0f} s)", file=sys.stderr)
    out = os.path.join(args.work, f"out-{n}")
    base = [verger, "extract", "--input", folder, "--output", out, "--model", spec, "--format", args.format,
            "--partition-size", str(args.partition_size), "--batch", "64", "--progress", "none"]
    fulls, nochange, grown = [], [], []
    for _ in range(args.reps):
        shutil.rmtree(out, ignore_errors=True)
        wall, cpu, rss, err = run_measured(base)
        counts = summary_counts(err)
        manifest = read_manifest(out)
        fulls.append({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss, "counts": counts,
                      "list_s": manifest.get("stage_seconds", {}).get("list"),
                      "stage_seconds": manifest.get("stage_seconds"),
                      "markers_bytes": tree_bytes(os.path.join(out, "_partitions")),
                      "manifest_bytes": os.path.getsize(os.path.join(out, "manifest.json"))})
        print(f"scale: N={n:,} full run {wall:.1f} s, peak RSS {rss:.0f} MiB", file=sys.stderr)
        if args.memory_only:
            continue
        wall, cpu, rss, err = run_measured(base + ["--resume"])
        nochange.append({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss, "counts": summary_counts(err)})
        print(f"scale: N={n:,} no-change --resume {wall:.1f} s", file=sys.stderr)
        added = scale_data.add_new_images(pool, folder, n, max(1, n // 100))
        try:
            wall, cpu, rss, err = run_measured(base + ["--resume"])
        finally:
            for p in added:
                os.unlink(p)
        grown.append({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss, "counts": summary_counts(err),
                      "added": len(added),
                      "stage_seconds": read_manifest(out).get("stage_seconds")})
        print(f"scale: N={n:,} +1% --resume {wall:.1f} s, computed {grown[-1]['counts']['computed']}", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)

    def med(rows, key):
        vals = [r[key] for r in rows if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    return {"n": n, "full": fulls, "no_change": nochange, "grown": grown,
            "full_s": med(fulls, "wall_s"), "rss_mib": med(fulls, "rss_mib"), "list_s": med(fulls, "list_s"),
            "markers_bytes": med(fulls, "markers_bytes"), "manifest_bytes": med(fulls, "manifest_bytes"),
            "no_change_s": med(nochange, "wall_s"), "grown_s": med(grown, "wall_s"),
            "full_cpu_s": med(fulls, "cpu_s"), "no_change_cpu_s": med(nochange, "cpu_s"),
            "grown_cpu_s": med(grown, "cpu_s"),
            "grown_computed": [g["counts"]["computed"] for g in grown], "added": [g["added"] for g in grown],
            "resume_rss_mib": max([r["rss_mib"] for r in nochange + grown], default=None)}


def pct(part, whole):
    return f"{100.0 * part / whole:.1f}%" if part is not None and whole else "-"


def table(results, decode_rate, threads):
    lines = ["| images | list + plan s | full run s (CPU s) | e2e img/s | e2e / decode-only | peak RSS MiB "
             "| markers MiB | manifest KiB | no-change --resume s (of full; CPU s) "
             "| +1% --resume s (of full; CPU s) | computed in +1% run |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        e2e = r["n"] / r["full_s"]
        fmt = lambda v, f: (f.format(v) if v is not None else "-")  # noqa: E731
        lines.append(
            f"| {r['n']:,} | {fmt(r['list_s'], '{:.2f}')} | {r['full_s']:.1f} ({fmt(r['full_cpu_s'], '{:.1f}')}) | "
            f"{e2e:,.0f} | "
            f"{e2e / (decode_rate * threads):.2f} | {r['rss_mib']:.0f} | {r['markers_bytes'] / 2**20:.2f} | "
            f"{r['manifest_bytes'] / 1024:.0f} | {fmt(r['no_change_s'], '{:.1f}')} ({pct(r['no_change_s'], r['full_s'])}; "
            f"{fmt(r['no_change_cpu_s'], '{:.1f}')}) | "
            f"{fmt(r['grown_s'], '{:.1f}')} ({pct(r['grown_s'], r['full_s'])}; {fmt(r['grown_cpu_s'], '{:.1f}')}) | "
            f"{'/'.join(str(c) for c in r['grown_computed']) or '-'} of {'/'.join(str(a) for a in r['added']) or '-'} new |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SRC, "build", "release"))
    ap.add_argument("--shared", default=os.environ.get("VERGER_SHARED_DIR", os.path.join(SRC, "..", "shared")))
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated image counts")
    ap.add_argument("--reps", type=int, default=1, help="runs of each measurement (medians are reported)")
    ap.add_argument("--partition-size", type=int, default=1000)
    ap.add_argument("--format", default="parquet", help="output table format (parquet, csv, npy)")
    ap.add_argument("--work", default="/tmp/verger-scale", help="collections, model and outputs (kept for reuse)")
    ap.add_argument("--out", help="write the Markdown table here")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--memory-only", action="store_true", help="full runs only (no re-runs, no decode baseline)")
    ap.add_argument("--max-rss-ratio", type=float,
                    help="fail unless peak RSS of every size <= this x that of the smallest size")
    args = ap.parse_args()
    verger = built(args.build, "verger")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    os.makedirs(args.work, exist_ok=True)
    pool = scale_data.make_pool(args.shared, args.work)
    spec = scale_data.make_model(os.path.join(args.work, "model"))
    threads = os.cpu_count()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    decode_rate = None if args.memory_only else decode_only_rate(args.build, args.shared, max(3, args.reps))
    results = [measure_size(args, verger, spec, pool, n) for n in sizes]
    load_after = os.getloadavg()[0]
    report = {"started": started, "cpu": cpu_description(), "threads": threads, "decode_only_per_core": decode_rate,
              "load_before": load_before, "load_after": load_after, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    cpu = report["cpu"]
    text = (f"Measured {started} on {cpu['model']} ({cpu['vcpus']} vCPU; flags: {' '.join(cpu['flags']) or 'none'}), "
            f"--format {args.format}, verger --threads {threads}, load average {load_before:.1f} before, {load_after:.1f} after, "
            f"medians of {args.reps} run(s).\n")
    if decode_rate is not None:
        text += (f"Decode-only baseline (bench/image_bench BM_Fruits_DecodeOnly, same photos, 1 core): "
                 f"{decode_rate:,.0f} images/s, x {threads} threads = {decode_rate * threads:,.0f}.\n\n")
        text += table(results, decode_rate, threads) + "\n"
    else:
        text += "\n| images | full run s | peak RSS MiB | RSS / smallest |\n|---|---|---|---|\n"
        for r in results:
            text += f"| {r['n']:,} | {r['full_s']:.1f} | {r['rss_mib']:.0f} | {r['rss_mib'] / results[0]['rss_mib']:.2f} |\n"
    emit_report(text, args.out)
    if args.max_rss_ratio is not None:
        worst = max(results, key=lambda r: r["rss_mib"])
        ratio = worst["rss_mib"] / results[0]["rss_mib"]
        if ratio > args.max_rss_ratio:
            sys.exit(f"scale.py: peak RSS at {worst['n']:,} images is {worst['rss_mib']:.0f} MiB, {ratio:.2f}x the "
                     f"{results[0]['rss_mib']:.0f} MiB at {results[0]['n']:,}: above the {args.max_rss_ratio}x bound "
                     "(memory grows with the collection)")
        print(f"scale.py: peak RSS ratio {ratio:.2f} <= {args.max_rss_ratio}: memory is flat")


if __name__ == "__main__":
    main()
