#!/usr/bin/python3
"""The ObjectStore conformance suite and S3-specific checks (wrong secret ->
PermissionDenied naming the source, multipart, paging, virtual-hosted
addressing, profile credentials) against a real Ceph RGW started here."""
import sys

from rgw import Gateway, run

binary = sys.argv[1]
with Gateway() as gw:
    proc = run([binary, "--gtest_filter=-S3Faults.*"], gw.client_env())
    if proc.returncode != 0:
        sys.exit("s3_conformance_test failed (rc=%d)" % proc.returncode)
    if "[  PASSED  ]" not in proc.stdout or "ObjectStoreConformance" not in proc.stdout:
        sys.exit("s3_conformance_test ran no conformance tests")
print("ok")
