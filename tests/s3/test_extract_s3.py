#!/usr/bin/python3
"""End to end on S3: stage fruits-360-10/Test (1,609 objects, so listings
page) on a real Ceph RGW, run `verger extract --input s3://... --output
s3://...`, fetch the outputs back and compare them with a local run over the
same images: every feature file byte-identical; manifests and partition
markers equal except for the fields that name locations, times or the
inputs' mtime/ETag."""
import json
import os
import sys
import tempfile

from rgw import Gateway, run

s3_copy, verger = sys.argv[1], os.environ["VERGER_BIN"]
images = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets/fruits-360-10/Test")
# The first 400 images in key order: listing still walks all 1,609 keys.
LIMIT = "400"
VARYING = {"command", "created", "input", "output", "wall_time_s", "images_per_s", "images_per_hour_per_vcpu"}


def files(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def split_marker(marker, where):
    """A partition marker without its input fingerprint, and the inputs'
    (key, size) pairs. The S3 side must carry each input's ETag (MD5)."""
    m = dict(marker)
    inputs = m.pop("inputs")
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
               "--s3-endpoint", endpoint, "--limit", LIMIT, "--progress", "none"], env), "extract on S3")
    check(run([s3_copy, "s3://verger-e2e/output", os.path.join(tmp, "from-s3")], env), "fetching the outputs")
    check(run([verger, "extract", "--input", images, "--output", os.path.join(tmp, "local"), "--limit", LIMIT,
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
    print("ok: %d feature files identical" % len(features))
