"""Network and mount namespaces for the shared-nothing cluster test (test_netns_s3.py): each Dask
process gets its own network namespace, joined to the host by a veth pair on a private bridge
(addresses in 10.213.X.0/24, inside this machine only: nothing is routed anywhere else), and its own
mount namespace with a private /tmp and chosen folders hidden under empty tmpfs mounts.

Every name starts with a prefix unique to the test process, and Namespaces.close() removes all of
them (processes by PID, namespaces, links) whatever state setup reached."""
import os
import shlex
import shutil
import signal
import subprocess


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True, text=True)


class Namespaces:
    def __init__(self, names):
        if shutil.which("ip") is None:
            raise RuntimeError("`ip` (Debian package iproute2) is needed for network namespaces")
        if os.geteuid() != 0:
            raise RuntimeError("network namespaces need root")
        self.prefix = f"vg{os.getpid() % 100000:05d}"
        self.subnet = f"10.213.{os.getpid() % 250}"
        self.bridge = f"{self.prefix}br"
        self.host_address = f"{self.subnet}.1"
        self.netns, self.addresses, self.procs = {}, {}, []
        self._links = []
        try:
            sh("ip", "link", "add", self.bridge, "type", "bridge")
            self._links.append(self.bridge)
            sh("ip", "addr", "add", f"{self.host_address}/24", "dev", self.bridge)
            sh("ip", "link", "set", self.bridge, "up")
            for i, name in enumerate(names):
                self._add(name, f"{self.subnet}.{i + 2}")
        except BaseException:
            self.close()
            raise

    def _add(self, name, address):
        ns, host_end, ns_end = f"{self.prefix}{name}", f"{self.prefix}{name}h", f"{self.prefix}{name}n"
        sh("ip", "netns", "add", ns)
        self.netns[name] = ns
        sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
        self._links.append(host_end)
        sh("ip", "link", "set", host_end, "master", self.bridge)
        sh("ip", "link", "set", host_end, "up")
        sh("ip", "link", "set", ns_end, "netns", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", ns_end)
        sh("ip", "-n", ns, "link", "set", ns_end, "up")
        self.addresses[name] = address

    def command(self, name, argv, hide):
        """`argv` in namespace `name` with a private mount namespace: an empty tmpfs on /tmp and on
        every folder of `hide`. ip netns exec, unshare and the shell all exec, so the process started
        is `argv` itself and its PID is the one to kill."""
        mounts = "".join(f"mount -t tmpfs -o size=256m verger-hidden {shlex.quote(h)} && " for h in ["/tmp", *hide])
        script = f"{mounts}exec {' '.join(shlex.quote(a) for a in argv)}"
        return ["ip", "netns", "exec", self.netns[name], "unshare", "--mount", "--propagation", "private",
                "sh", "-c", script]

    def spawn(self, name, argv, hide, env, log):
        p = subprocess.Popen(self.command(name, argv, hide), env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def run(self, name, argv, hide, env):
        """Runs to completion; returns (exit code, output)."""
        p = subprocess.run(self.command(name, argv, hide), env=env, capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for ns in self.netns.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for link in reversed(self._links):  # veth host ends go with their namespace; the bridge stays
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        self.netns, self._links = {}, []


def leftovers(prefix):
    """Namespaces and links whose name starts with `prefix` (for the test's final check)."""
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in ns.splitlines() if line.startswith(prefix)] + \
        [line.split(":")[1].strip().split("@")[0] for line in links.splitlines() if f" {prefix}" in line]
