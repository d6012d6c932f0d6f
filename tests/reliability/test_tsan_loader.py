"""ImageLoader (I/O threads, decode threads, one ordered consumer) under ThreadSanitizer: builds
tests/reliability/tsan (only the loader and the code its workers run) and runs the LoaderStress gtests.
Any data race or lock-order report fails the test (halt_on_error)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import *  # noqa: E402,F403

here = os.path.dirname(os.path.abspath(__file__))
build = os.path.join(os.environ.get("VERGER_BUILD_DIR", tempdir("tsanbuild")), "tsan-loader")
t0 = time.monotonic()
subprocess.run(["cmake", "-S", os.path.join(here, "tsan"), "-B", build, "-G", "Ninja"], check=True,
               stdout=subprocess.DEVNULL)
subprocess.run(["ninja", "-C", build], check=True)
t1 = time.monotonic()
env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1", VERGER_SHARED_DIR=SHARED)
r = subprocess.run([os.path.join(build, "loader_stress_tsan")], capture_output=True, text=True, env=env, timeout=900)
print(r.stdout[-3000:])
print(r.stderr[-6000:])
check(r.returncode == 0 and "WARNING: ThreadSanitizer" not in r.stderr, f"tsan run failed (exit {r.returncode})")
print(f"ok: build {t1 - t0:.0f} s, tests {time.monotonic() - t1:.0f} s")
