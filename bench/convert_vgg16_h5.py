#!/usr/bin/python3
"""Time to convert a Keras VGG16 .h5 (random weights, full size: ~553 MB) to TorchScript:
verger's in-process C++ converter against the old route, a process running
scripts/convert_vgg16.py (python3-torch + h5py), measured in the same run.

verger's conversion is timed as the user sees it: `verger extract` of one photo
with an empty cache (converts, then runs) minus the same run with the cache filled
(only runs). Medians over --reps repetitions of each, alternated.

Usage: bench/convert_vgg16_h5.py --verger build/release/src/cli/verger [--reps 3]
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "torch"))
import keras_vgg16  # noqa: E402


def timed(cmd, env=None):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def cpu():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in out.splitlines() if line.startswith("Flags")), [])
    wanted = sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx_vnni", "avx2"))
    return f"{model}; {os.cpu_count()} CPUs; flags: {' '.join(wanted) or 'none of avx2/avx512/amx/vnni'}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verger", required=True, help="the verger binary")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--photo", default=None, help="one image (default: first fruits-360-10 Test photo in ../shared)")
    args = ap.parse_args()
    photo = args.photo or sorted(glob.glob(os.path.join(SOURCE, "..", "shared", "datasets", "fruits-360-10",
                                                        "Test", "*", "*.jpg")))[0]
    with tempfile.TemporaryDirectory(prefix="bench_convert_") as tmp:
        h5 = os.path.join(tmp, "vgg16.h5")
        keras_vgg16.write_keras_h5(h5, keras_vgg16.random_weights(seed=3))
        inp = os.path.join(tmp, "in", "x")
        os.makedirs(inp)
        os.symlink(os.path.abspath(photo), os.path.join(inp, os.path.basename(photo)))
        cache = os.path.join(tmp, "cache")
        env = dict(os.environ, XDG_CACHE_HOME=cache)

        def extract():
            out = os.path.join(tmp, "out")
            shutil.rmtree(out, ignore_errors=True)
            return timed([args.verger, "extract", "-i", os.path.dirname(inp), "-o", out, "--model", "vgg16",
                          "--weights", h5, "--backend", "torch", "--format", "csv", "--threads", "2",
                          "--progress", "none"], env)

        python_s, cold_s, warm_s = [], [], []
        for _ in range(args.reps):
            python_s.append(timed(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "convert_vgg16.py"), h5,
                                   os.path.join(tmp, "py.pt")]))
            shutil.rmtree(cache, ignore_errors=True)
            cold_s.append(extract())
            warm_s.append(extract())
        cpp = statistics.median(c - w for c, w in zip(cold_s, warm_s))
        py = statistics.median(python_s)
        print(f"CPU: {cpu()}")
        print(f"Keras VGG16 .h5 ({os.path.getsize(h5) / 1e6:.0f} MB) -> TorchScript, median of {args.reps}:")
        print(f"  scripts/convert_vgg16.py (process, python3-torch): {py:.2f} s   runs {', '.join(f'{x:.2f}' for x in python_s)}")
        print(f"  verger in-process C++ (cold - warm extract):       {cpp:.2f} s   "
              f"cold {', '.join(f'{x:.2f}' for x in cold_s)}; warm {', '.join(f'{x:.2f}' for x in warm_s)}")
        print(f"  ratio python / C++: {py / cpp:.2f}x")


if __name__ == "__main__":
    main()
