#!/usr/bin/python3
"""End to end on S3: stage fruits-360-10/Test (1,609 objects, so listings
page) on a real Ceph RGW, run `verger extract --input s3://... --output
s3://...`, fetch the outputs back and compare them with a local run over the
same images: every feature file byte-identical; manifests and partition
markers equal except for the fields that name locations, times or the
inputs' mtime/ETag. Then: the same job through tests/s3/faulty_proxy.py
(25% of requests fail) gives identical features and reports its retries,
and a wrong secret key fails fast with exit 2 naming the credential source."""
import json
import os
import sys
import tempfile

import subprocess
import time

from rgw import SOURCE_DIR, Gateway, Server, run

s3_copy, verger = sys.argv[1], os.environ["VERGER_BIN"]
images = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets/fruits-360-10/Test")
VARYING = {"command", "created", "input", "output", "wall_time_s", "images_per_s", "images_per_hour_per_vcpu",
           "stage_seconds", "store_retries", "timeline"}


def files(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            if d == root and n == ".verger.lock":
                continue  # the local output lock stays (emptied); S3 deletes its lease
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def split_marker(marker, where):
    """A partition marker without its input fingerprint, and the inputs'
    (key, size) pairs. The S3 side must carry each input's ETag (MD5)."""
    m = dict(marker)
    inputs = m.pop("inputs", [])  # markers only: manifests keep no per-image list
    m.pop("inputs_sha256")
    if where == "s3" and not all(len(i[3]) == 32 for i in inputs):
        sys.exit("S3 inputs should carry their ETag (MD5): %.300s" % inputs[:2])
    return m, [i[:2] for i in inputs]


def same_markers(a, b, what):
    if split_marker(a, "s3") != split_marker(b, "local"):
        sys.exit("%s differs between the S3 and the local run" % what)


def check(proc, what):
    if proc.returncode != 0:
        sys.exit("%s failed (rc=%d)" % (what, proc.returncode))


with Gateway() as gw, tempfile.TemporaryDirectory(prefix="verger-s3-e2e-") as tmp:
    env = gw.client_env()
    endpoint = gw.env["AWS_ENDPOINT_URL"]
    check(run([s3_copy, images, "s3://verger-e2e/input", "--create-bucket"], env), "staging the images")
    check(run([verger, "extract", "--input", "s3://verger-e2e/input", "--output", "s3://verger-e2e/output",
               "--s3-endpoint", endpoint, "--progress", "none"], env), "extract on S3")
    check(run([s3_copy, "s3://verger-e2e/output", os.path.join(tmp, "from-s3")], env), "fetching the outputs")
    check(run([verger, "extract", "--input", images, "--output", os.path.join(tmp, "local"),
               "--progress", "none"], env), "extract on local files")

    s3_files, local_files = files(os.path.join(tmp, "from-s3")), files(os.path.join(tmp, "local"))
    if sorted(s3_files) != sorted(local_files):
        sys.exit("different outputs:\n  S3 only: %s\n  local only: %s" % (
            sorted(set(s3_files) - set(local_files)), sorted(set(local_files) - set(s3_files))))
    features = [k for k in s3_files if k.startswith("features/")]
    if not features:
        sys.exit("no feature files were written")
    for key in sorted(s3_files):
        if key == "manifest.json":
            continue
        if key.startswith("_partitions/") and key.endswith(".json"):
            # Markers fingerprint their inputs (size, mtime, ETag): the same
            # keys and sizes, but local files have no ETag and other mtimes.
            same_markers(json.loads(s3_files[key]), json.loads(local_files[key]), key)
            continue
        if s3_files[key] != local_files[key]:
            sys.exit("%s differs between the S3 and the local run" % key)
    m_s3, m_local = json.loads(s3_files["manifest.json"]), json.loads(local_files["manifest.json"])
    if m_s3["input"] != "s3://verger-e2e/input" or m_s3["output"] != "s3://verger-e2e/output":
        sys.exit("the S3 manifest does not name the S3 locations: %s, %s" % (m_s3["input"], m_s3["output"]))
    if len(m_s3["partitions"]) != len(m_local["partitions"]):
        sys.exit("the manifests list different numbers of partitions")
    for a, b in zip(m_s3.pop("partitions"), m_local.pop("partitions")):
        same_markers(a, b, "manifest partition %s" % a.get("name"))
    for k in sorted(set(m_s3) | set(m_local)):
        if k not in VARYING and m_s3.get(k) != m_local.get(k):
            sys.exit("manifest field %r differs: S3 %.200r, local %.200r" % (k, m_s3.get(k), m_local.get(k)))
    if m_s3["images"]["listed"] != 1609 or m_s3["images"]["ok"] != 1609:
        sys.exit("the S3 manifest does not account for all 1,609 objects: %s" % m_s3["images"])
    print("ok: %d feature files identical, %d images" % (len(features), m_s3["images"]["ok"]))

    # `verger report` reads an S3 output as it reads a local one.
    page = os.path.join(tmp, "s3-report.html")
    check(run([verger, "report", "s3://verger-e2e/output", "--s3-endpoint", endpoint, "--html", page], env),
          "verger report of the S3 output")
    with open(page, encoding="utf-8") as f:
        html = f.read()
    labels = sorted(os.listdir(images))
    if not all('data-label="%s"' % label in html for label in labels) or "s3://verger-e2e/output" not in html:
        sys.exit("the S3 report does not list every label and the output")

    # Through a proxy that fails a quarter of the requests: same features, retries reported.
    stats = os.path.join(tmp, "proxy-stats.json")
    proxy = [sys.executable, os.path.join(SOURCE_DIR, "tests/s3/faulty_proxy.py"), "--upstream", endpoint,
             "--fault-rate", "0.25", "--lifetime", "300", "--seed", "2", "--stats", stats]
    with Server(proxy) as p:
        t0 = time.time()
        proc = subprocess.run([verger, "extract", "--input", "s3://verger-e2e/input", "--output",
                               "s3://verger-e2e/faulty", "--s3-endpoint", "http://127.0.0.1:%d" % p.port,
                               "--limit", "300", "--progress", "none"], env=env, capture_output=True, text=True)
        print(proc.stderr[-1500:])
        check(proc, "extract through the faulty proxy")
    with open(stats) as f:
        print("proxy:", json.load(f))
    check(run([s3_copy, "s3://verger-e2e/faulty", os.path.join(tmp, "faulty")], env), "fetching the faulty run")
    faulty = files(os.path.join(tmp, "faulty"))
    m_faulty = json.loads(faulty["manifest.json"])
    retries = m_faulty["store_retries"]["input"] + m_faulty["store_retries"]["output"]
    if retries <= 0 or "retried" not in proc.stderr:
        sys.exit("the faulty run reported no retries: %s" % m_faulty["store_retries"])
    if m_faulty["images"]["ok"] != 300:
        sys.exit("the faulty run lost images: %s" % m_faulty["images"])
    # Identical to a clean local run of the same 300 images, file for file.
    check(run([verger, "extract", "--input", images, "--output", os.path.join(tmp, "local300"), "--limit", "300",
               "--progress", "none"], env), "extract of 300 local files")
    clean = files(os.path.join(tmp, "local300"))
    feature_keys = sorted(k for k in faulty if k.startswith("features/"))
    if not feature_keys or feature_keys != sorted(k for k in clean if k.startswith("features/")):
        sys.exit("the faulty run wrote other feature files than a clean run")
    for key in feature_keys:
        if faulty[key] != clean[key]:
            sys.exit("%s differs between the faulty-proxy run and a clean run" % key)
    print("ok: %d retries under injected faults" % retries)

    # A wrong secret: exit 2 within seconds, naming the failure and the credential source, never the secret.
    bad = dict(env, AWS_SECRET_ACCESS_KEY="wrong-secret-0123456789")
    t0 = time.time()
    proc = subprocess.run([verger, "extract", "--input", "s3://verger-e2e/input", "--output", os.path.join(tmp, "x"),
                           "--s3-endpoint", endpoint, "--progress", "none"], env=bad, capture_output=True, text=True)
    took = time.time() - t0
    print(proc.stderr.strip())
    if proc.returncode != 2 or took > 10:
        sys.exit("wrong secret: exit %d after %.1f s (want 2 within seconds)" % (proc.returncode, took))
    if "SignatureDoesNotMatch" not in proc.stderr or "environment" not in proc.stderr or "wrong-secret" in proc.stderr:
        sys.exit("wrong secret: message must name the failure and the credential source, not the secret")
    print("ok: wrong secret -> exit 2 in %.1f s" % took)
