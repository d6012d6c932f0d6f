#!/usr/bin/python3
"""Retries under injected faults: tests/s3/faulty_proxy.py between the S3
store and a real RGW fails ~25% of requests (503 SlowDown, empty replies,
resets, answers dropped after the request took effect). All data must come
back correct, and the store must report retries."""
import json
import os
import sys
import tempfile

from rgw import SOURCE_DIR, Gateway, Server, run

binary = sys.argv[1]
with Gateway() as gw:
    stats = os.path.join(gw.dir, "proxy-stats.json")
    proxy = [sys.executable, os.path.join(SOURCE_DIR, "tests/s3/faulty_proxy.py"), "--upstream",
             gw.env["AWS_ENDPOINT_URL"], "--fault-rate", "0.25", "--lifetime", "300", "--seed", "1", "--stats", stats]
    with Server(proxy) as p:
        env = gw.client_env(VERGER_S3_PROXY_ENDPOINT="http://127.0.0.1:%d" % p.port)
        proc = run([binary, "--gtest_filter=S3Faults.*"], env)
    with open(stats) as f:
        counts = json.load(f)
    print("proxy:", counts)
    if proc.returncode != 0:
        sys.exit("s3_conformance_test through the faulty proxy failed (rc=%d)" % proc.returncode)
    if "[  PASSED  ] 1 test" not in proc.stdout:
        sys.exit("the fault test did not run")
    injected = sum(counts[k] for k in ("slowdown", "empty_reply", "reset", "dropped_answer"))
    if injected == 0 or min(counts[k] for k in ("slowdown", "empty_reply", "reset", "dropped_answer")) == 0:
        sys.exit("the proxy did not inject every kind of fault: %s" % counts)
print("ok")
