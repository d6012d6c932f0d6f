"""Large photos (roughly 130 to 900 pixels a side) go through the same path: 90 rows, 3 labels."""
import shutil

from verger_test_util import *

out = tempdir("large")
try:
    run_verger("extract", "--input", LARGE, "--output", out, "--model", "mobilenetv2", "--format", "csv,npy",
               "--partition-size", "40", "--overwrite")
    rows, folders = read_feature_csvs(out)
    check(sorted(rows) == list_images(LARGE), f"{len(rows)} rows")
    check(len(folders) == 3, folders)
    check(read_errors(out) == {}, read_errors(out))
    import numpy as np
    npys = sorted(glob.glob(os.path.join(out, "features", "label=*", "part-*.npy")))
    total = 0
    for f in npys:
        a = np.load(f)
        keys = open(f[: -len(".npy")] + ".keys.csv", encoding="utf-8").read().splitlines()[1:]
        check(a.shape == (len(keys), 1280) and a.dtype == np.float32, f"{f}: {a.shape} {a.dtype}")
        for k, row in zip(keys, a):
            path = next(csv.reader([k]))[0]
            check(np.array_equal(np.array(rows[path][1], dtype=np.float32), row), f"{path}: npy differs from csv")
        total += a.shape[0]
    check(total == 90, f"npy rows {total}")
    check(len(read_manifest(out)["partitions"]) == 3, "90 images at 40 per partition")
    print("ok")
finally:
    shutil.rmtree(out, ignore_errors=True)
