"""After `cmake --install` into a temporary prefix, a new shell (env -i, PATH
= <prefix>/bin:/usr/bin:/bin) in another folder runs the README's usage
commands literally, the Python module and `verger-dask --help`: nothing the
installed files need may point into the build tree or the checkout. Also:
`verger --version` maps neither LibTorch nor OpenCV, and a missing backend
plugin is an error naming the folders searched."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import check  # noqa: E402

BUILD = os.environ["VERGER_BUILD_DIR"]
SOURCE = os.environ["VERGER_SOURCE_DIR"]
TRAINING = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10", "Training")


def readme_blocks():
    """The shell code blocks of the README's "Using it" section (alternatives: each starts afresh), as
    lists of commands, continuation lines joined, comments dropped."""
    text = open(os.path.join(SOURCE, "README.md"), encoding="utf-8").read()
    section = text.split("## Using it", 1)[1].split("\n## ", 1)[0]
    blocks = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        commands = [shlex.split(line, comments=True) for line in block.replace("\\\n", " ").splitlines()]
        blocks.append([argv for argv in commands if argv])
    return blocks


def copy_images(dst, per_class, classes=3):
    for cls in sorted(os.listdir(TRAINING))[:classes]:
        os.makedirs(os.path.join(dst, cls))
        for name in sorted(os.listdir(os.path.join(TRAINING, cls)))[:per_class]:
            shutil.copy(os.path.join(TRAINING, cls, name), os.path.join(dst, cls, name))


def runpaths(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return [p for m in re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]", out) for p in m.split(":")]


def main():
    tmp = tempfile.mkdtemp(prefix="verger_install_")
    try:
        prefix = os.path.join(tmp, "prefix")
        subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], check=True, stdout=subprocess.DEVNULL)
        installed = [os.path.join(d, f) for d, _, fs in os.walk(prefix) for f in fs]
        for path in installed:
            check(not os.path.islink(path), f"{path} is a link")
            with open(path, "rb") as f:
                is_elf = f.read(4) == b"\x7fELF"
            if is_elf:
                for rp in runpaths(path):
                    check(rp.startswith("$ORIGIN"), f"{path}: RUNPATH {rp} is not relative to the install")
        py_dir = os.path.join(prefix, "lib", "python3", "dist-packages")
        check(os.path.isfile(os.path.join(prefix, "bin", "verger")) and os.path.isdir(os.path.join(py_dir, "verger")),
              sorted(os.path.relpath(p, prefix) for p in installed))

        # Users' folders in the checkout's place, with ../shared beside them (a small copy of the dataset).
        copy_images(os.path.join(tmp, "work", "shared", "datasets", "fruits-360-10", "Training"), 50)
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = {"HOME": home, "PATH": f"{prefix}/bin:/usr/bin:/bin"}
        cwd = [None]

        def sh(argv, **kw):
            return subprocess.run(argv, cwd=cwd[0], env=kw.pop("env", env), capture_output=True, text=True, errors="replace", **kw)

        blocks = readme_blocks()
        check(len(blocks) >= 2 and blocks[0][0][:2] == ["verger", "run"], blocks)
        for b, commands in enumerate(blocks):
            cwd[0] = os.path.join(tmp, "work", f"checkout-{b}")
            copy_images(os.path.join(cwd[0], "photos"), 50)
            for argv in commands:
                if "out-test/" in argv:  # the README's train -> test example needs a second output first
                    r = sh(["verger", "extract", "--input", "photos/", "--output", "out-test/", "--progress", "none"])
                    check(r.returncode == 0, r.stderr)
                r = sh(argv)
                check(r.returncode == 0, f"README command {shlex.join(argv)} failed ({r.returncode}): {r.stderr[-2000:]}")
                print("ok:", shlex.join(argv))
        cwd[0] = work = os.path.join(tmp, "work", "checkout-0")
        manifest = json.load(open(os.path.join(work, "out", "train", "manifest.json")))
        weights = manifest["model"]["weights"]
        check(weights.startswith(os.path.join(prefix, "share", "verger", "models") + "/"),
              f"built-in model weights from {weights}, not the install's share/verger/models")

        # The Python module and the Dask launcher, with the installed package on the path.
        py_env = dict(env, PYTHONPATH=py_dir)
        probe = ("import ctypes, verger; f = verger.Featurizer('mobilenetv2', threads=1); "
                 "libc = ctypes.CDLL(None); libc.getenv.restype = ctypes.c_char_p; "
                 "p, l, x = verger.read_features('out/train'); "
                 "print(verger.__file__, f.feature_dim, x.shape, libc.getenv(b'OMP_WAIT_POLICY').decode())")
        r = sh(["/usr/bin/python3", "-c", probe], env=py_env)
        check(r.returncode == 0, r.stderr)
        module, dim, *_, policy = r.stdout.split()
        check(module.startswith(py_dir) and dim == "1280" and policy == "PASSIVE", r.stdout)
        r = sh(["verger-dask", "--help"])
        check(r.returncode == 0 and "usage" in r.stdout.lower() and "--scheduler" in r.stdout, r.stdout + r.stderr)

        # Startup maps neither LibTorch nor OpenCV; usage errors neither.
        for argv in (["verger", "--version"], ["verger", "extrct"]):
            r = sh(argv, env=dict(env, LD_DEBUG="libs"))
            loaded = re.findall(r"calling init: (\S+)", r.stderr)
            check(loaded and not [p for p in loaded if "libtorch" in p or "libopencv" in p],
                  f"{shlex.join(argv)} loads: {[p for p in loaded if 'torch' in p or 'opencv' in p][:5]}")
            print(f"ok: {shlex.join(argv)} initialises {len(loaded)} libraries, no LibTorch/OpenCV")
        check(sh(["verger", "--version"]).stdout.startswith("verger "), "version")

        # A missing plugin: an error naming the file and where it was looked for.
        os.remove(os.path.join(prefix, "lib", "libverger_opencv.so"))
        r = sh(["verger", "extract", "--input", "photos/", "--output", "out-missing/", "--backend", "opencv",
                "--progress", "none"])
        check(r.returncode != 0 and "libverger_opencv.so" in r.stderr and os.path.join(prefix, "lib") in r.stderr,
              r.stderr)
        print("ok: missing plugin:", r.stderr.strip()[:300])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
