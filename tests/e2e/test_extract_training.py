"""Done-when of the extract issue: MobileNetV2 features of fruits-360-10/Training,
4,814 rows in 10 label folders, 1,280 values each, 0 errors, manifest agrees with the files."""
import os
import shutil

from verger_test_util import *

out = tempdir("train")
try:
    run_verger("extract", "--input", TRAINING, "--output", out, "--model", "mobilenetv2", "--format", "csv",
               "--threads", "2", "--overwrite")
    rows, folders = read_feature_csvs(out)
    expected = list_images(TRAINING)
    check(len(expected) == 4814, f"dataset has {len(expected)} images, expected 4814")
    check(sorted(rows) == expected, f"{len(rows)} rows, expected one per image ({len(expected)})")
    check(len(folders) == 10, f"{len(folders)} label folders: {sorted(folders)}")
    for path, (label, values) in rows.items():
        check(label == path.split("/")[0], f"{path}: label {label!r}")
        check(len(values) == 1280, f"{path}: {len(values)} values")
        check(all(v == v and abs(v) < 1e30 for v in values), f"{path}: non-finite value")
    check(read_errors(out) == {}, f"errors: {read_errors(out)}")
    m = read_manifest(out)
    check(m["images"]["ok"] == 4814 and m["images"]["failed"] == 0 and m["images"]["listed"] == 4814, m["images"])
    check(m["feature_dim"] == 1280, m["feature_dim"])
    check(len(m["model_sha256"]) == 64, m["model_sha256"])
    check(m["preprocessing"]["resize_filter"] == "bilinear" and m["preprocessing"]["normalization"] == "torch",
          m["preprocessing"])
    check(m["images_per_s"] > 0 and m["images_per_hour_per_vcpu"] > 0, "throughput missing")
    manifest_rows = 0
    files_seen = set()
    for p in m["partitions"]:
        check(p["rows"] + p["failed"] == p["images"], p)
        manifest_rows += p["rows"]
        for f in p["files"]:
            path = os.path.join(out, f["key"])
            check(os.path.getsize(path) == f["bytes"], f"{f['key']}: size differs from manifest")
            with open(path, encoding="utf-8") as fh:
                check(sum(1 for _ in fh) - 1 == f["rows"], f"{f['key']}: row count differs from manifest")
            files_seen.add(f["key"])
    check(manifest_rows == 4814, f"manifest partitions hold {manifest_rows} rows")
    on_disk = {os.path.relpath(p, out) for p in glob.glob(os.path.join(out, "features", "*", "*"))}
    check(on_disk == files_seen, f"files on disk but not in manifest: {sorted(on_disk - files_seen)[:5]}")
    check(len(m["partitions"]) == 5, f"{len(m['partitions'])} partitions for 4814 images at 1000 each")
    print(f"ok: 4814 rows, 10 labels, {m['images_per_s']:.1f} images/s")
finally:
    shutil.rmtree(out, ignore_errors=True)
