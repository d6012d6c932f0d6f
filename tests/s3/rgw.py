"""Test helpers: a throw-away RGW (scripts/rgw/start|stop) and small
subprocess servers, all stopped by PID even when a test fails."""
import os
import signal
import subprocess
import sys
import tempfile

# A test killed by ctest's timeout (SIGTERM) still unwinds its `with`
# blocks, so the gateway and helper servers are stopped by PID.
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("terminated"))

SOURCE_DIR = os.environ.get("VERGER_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class Gateway:
    """Starts RGW on enter; stops it (by recorded PIDs) and removes its directory on exit."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="verger-rgw-")
        start = os.path.join(SOURCE_DIR, "scripts/rgw/start")
        proc = subprocess.run([start, self.dir], capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            self._stop()
            # A gateway that cannot start is a failure, never a skip.
            raise RuntimeError("scripts/rgw/start failed (rc=%d):\n%s" % (proc.returncode, proc.stderr))
        self.env = dict(line.split("=", 1) for line in proc.stdout.split() if "=" in line)
        return self

    def _stop(self):
        subprocess.run([os.path.join(SOURCE_DIR, "scripts/rgw/stop"), self.dir], timeout=60)

    def __exit__(self, *exc):
        self._stop()
        return False

    def client_env(self, **extra):
        """Environment for a client: gateway endpoint and keys, and nothing
        from the caller's own AWS setup."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({k: v for k, v in self.env.items() if k.startswith("AWS_")})
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["HOME"] = self.dir
        env.update(extra)
        return env


class Server:
    """Runs a script that prints "PORT <n>" when ready; kills it by PID on exit."""

    def __init__(self, argv):
        self.argv = argv

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.__exit__()
            raise RuntimeError("%s did not start" % self.argv)
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the proxy writes its stats on SIGTERM
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False


def run(argv, env, timeout=600):
    print("+", " ".join(argv), flush=True)
    proc = subprocess.run(argv, env=env, timeout=timeout, capture_output=True, text=True)
    sys.stdout.write(proc.stdout[-20000:])
    sys.stderr.write(proc.stderr[-20000:])
    return proc
