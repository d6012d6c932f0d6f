"""Builds the libFuzzer targets in fuzz/ with clang (ASan+UBSan+libFuzzer; only the code they reach) and
runs each briefly from a seed corpus made of real images from ../shared and of files verger writes.
Fails on any crash, leak, timeout or sanitizer report; replays fuzz/regressions/<target>/* first.
VERGER_FUZZ_SECONDS sets the time per target (default 45); run longer by hand, e.g.
    build/fuzz/decode_fuzz -max_total_time=3600 corpus/decode"""
import glob
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import *  # noqa: E402,F403

SRC = os.environ.get("VERGER_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(os.environ.get("VERGER_BUILD_DIR", tempdir("fuzzbuild")), "fuzz")
SECONDS = int(os.environ.get("VERGER_FUZZ_SECONDS", "45"))
clang = shutil.which("clang++") or shutil.which("clang++-14")
check(clang is not None, "clang++ not found: install the '# fuzzing' packages of scripts/debian-packages.txt")

t0 = time.monotonic()
subprocess.run(["cmake", "-S", os.path.join(SRC, "fuzz"), "-B", BUILD, "-G", "Ninja", f"-DCMAKE_CXX_COMPILER={clang}",
                "-DVERGER_FUZZ=ON"], check=True, stdout=subprocess.DEVNULL)
subprocess.run(["ninja", "-C", BUILD], check=True)
print(f"fuzz build: {time.monotonic() - t0:.0f} s")

corpus = tempdir("fuzz_corpus")
try:
    dec = os.path.join(corpus, "decode")
    par = os.path.join(corpus, "parsers")
    os.makedirs(dec)
    os.makedirs(par)
    kiwi = os.path.join(TRAINING, "Kiwi 1")
    seeds = [os.path.join(kiwi, f) for f in sorted(os.listdir(kiwi))[:2]]
    seeds += sorted(glob.glob(os.path.join(LARGE, "**", "*.jpg"), recursive=True))[:1]
    img = Image.open(seeds[0])
    for i, s in enumerate(seeds):
        shutil.copy(s, os.path.join(dec, f"seed{i}.jpg"))
    for name, im, fmt, kw in [("grey.jpg", img.convert("L"), "JPEG", {}), ("cmyk.jpg", img.convert("CMYK"), "JPEG", {}),
                              ("prog.jpg", img, "JPEG", {"progressive": True}), ("rgba.png", img.convert("RGBA"), "PNG", {}),
                              ("pal.png", img.convert("P"), "PNG", {}), ("inter.png", img, "PNG", {"interlace": 1}),
                              ("small.png", img.resize((7, 5)), "PNG", {})]:
        b = io.BytesIO()
        im.save(b, fmt, **kw)
        open(os.path.join(dec, name), "wb").write(b.getvalue())

    def seed(sel, name, data):
        open(os.path.join(par, name), "wb").write(bytes([sel]) + data)

    for spec in glob.glob(os.path.join(SRC, "specs", "*.json")):
        seed(0, os.path.basename(spec), open(spec, "rb").read())
    seed(0, "spec.json", json.dumps({"name": "m", "weights": "m.onnx", "input_name": "input", "input_width": 224,
                                     "input_height": 224, "color_order": "rgb", "normalization": "torch",
                                     "resize_filter": "bilinear", "feature_tensor": "output", "pooling": "avg",
                                     "feature_dim": 1000}).encode())
    b = io.BytesIO()
    np.save(b, np.arange(12, dtype=np.float32).reshape(3, 4))
    seed(2, "a.npy", b.getvalue())
    seed(3, "table.csv", b"path,label,dim_0,dim_1\na/b.jpg,a,0.5,1.25\na/c.jpg,a,-3,1e-7\n")
    seed(4, "table.npy", b.getvalue() + b"path,label\na/1.jpg,a\na/2.jpg,a\na/3.jpg,a\n")
    marker = {"index": 0, "model_sha256": "m", "formats": ["csv"], "inputs": [["a/b.jpg", 1, 2, ""]],
              "files": [{"key": "features/label=a/part-00000.csv", "label": "a", "sha256": "0" * 64}], "errors": []}
    seed(5, "marker.json", json.dumps(marker).encode())
    # A real PCA statistics file, as `verger run` writes it.
    out = tempdir("fuzz_seed_run")
    run_verger("run", "--input", kiwi, "--output", out, "--model", "squeezenet", "--limit", "8", "--format", "csv",
               "--components", "2", "--progress", "none")
    for f in glob.glob(os.path.join(out, "features", "_pca_stats", "*.pcastats"))[:1]:
        seed(1, "stats.pcastats", open(f, "rb").read())
    for f in glob.glob(os.path.join(out, "_partitions", "*.json"))[:1]:
        seed(5, "real_marker.json", open(f, "rb").read())
    shutil.rmtree(out, ignore_errors=True)

    total = 0
    for target, cdir in [("decode_fuzz", dec), ("parsers_fuzz", par)]:
        exe = os.path.join(BUILD, target)
        regress = sorted(glob.glob(os.path.join(SRC, "fuzz", "regressions", target.replace("_fuzz", ""), "*")))
        if regress:
            r = subprocess.run([exe, *regress], capture_output=True, text=True, timeout=300)
            check(r.returncode == 0, f"{target}: a regression input fails again:\n{r.stderr[-3000:]}")
            print(f"{target}: {len(regress)} regression inputs pass")
        t = time.monotonic()
        r = subprocess.run([exe, cdir, f"-max_total_time={SECONDS}", "-rss_limit_mb=2048", "-timeout=20",
                            "-print_final_stats=1", f"-artifact_prefix={corpus}/{target}-"],
                           capture_output=True, text=True, timeout=SECONDS + 300)
        runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", r.stderr)
        n = int(runs.group(1)) if runs else 0
        total += n
        print(f"{target}: {n} executions in {time.monotonic() - t:.0f} s, exit {r.returncode}")
        if r.returncode != 0:
            print(r.stderr[-6000:])
            for a in glob.glob(f"{corpus}/{target}-*"):
                print("crash input (hex):", open(a, "rb").read()[:512].hex())
        check(r.returncode == 0, f"{target} found a problem (see above); add the input to fuzz/regressions/")
    print(f"ok: {total} executions, {time.monotonic() - t0:.0f} s including the build")
finally:
    shutil.rmtree(corpus, ignore_errors=True)
