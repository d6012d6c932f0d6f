"""`verger extract --format csv --format parquet` on fruits-360-10/Training
with MobileNetV2: every Parquet table, read by hyparquet (node, no code shared
with DuckDB), holds exactly the rows and float32 values of its CSV twin
(CSV floats are written in shortest round-trip form), carries the model hash,
dimension and preprocessing in its key-value metadata, and is zstd-compressed.
Prints the output size of both formats."""
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_parquet_readers import read_with_hyparquet  # noqa: E402

VERGER = os.environ["VERGER_BIN"]
SHARED = os.environ["VERGER_SHARED_DIR"]
INPUT = os.path.join(SHARED, "datasets", "fruits-360-10", "Training")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    values = np.array([[np.float32(v) for v in r[2:]] for r in rows[1:]], dtype=np.float32)
    return rows[0], [r[0] for r in rows[1:]], [r[1] for r in rows[1:]], values


def main():
    with tempfile.TemporaryDirectory(prefix="verger-parquet-extract-") as tmp:
        # The shared Training fixture (tests/e2e/fixture_train.py) when run by ctest.
        out = os.environ.get("VERGER_FIXTURE_TRAIN")
        if not out:
            out = os.path.join(tmp, "out")
            subprocess.run([VERGER, "extract", "--input", INPUT, "--output", out, "--model", "mobilenetv2",
                            "--format", "csv", "--format", "parquet", "--progress", "none"], check=True)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        dim = manifest["feature_dim"]
        assert dim == 1280, dim

        pairs = defaultdict(dict)  # (partition, label) -> {".csv": key, ".parquet": key}
        for part in manifest["partitions"]:
            for entry in part["files"]:
                if entry["key"].endswith((".npy", ".keys.csv")):  # the fixture also writes npy
                    continue
                ext = os.path.splitext(entry["key"])[1]
                pairs[(part["index"], entry["label"])][ext] = entry["key"]
        assert pairs and all(set(p) == {".csv", ".parquet"} for p in pairs.values()), pairs

        parquet = read_with_hyparquet(*(os.path.join(out, p[".parquet"]) for p in pairs.values()))
        sizes = {".csv": 0, ".parquet": 0}
        total = 0
        labels_seen = set()
        for (index, label), files in sorted(pairs.items()):
            for ext, key in files.items():
                sizes[ext] += os.path.getsize(os.path.join(out, key))
            header, paths, labels, want = read_csv(os.path.join(out, files[".csv"]))
            got = parquet[os.path.join(out, files[".parquet"])]
            where = f"partition {index} label {label!r}"

            assert header[:2] == ["path", "label"] and len(header) == 2 + dim, (where, header[:3])
            assert got["schema"] == ["path", "label", "features"], (where, got["schema"])
            assert set(got["codecs"]) == {"ZSTD"}, (where, got["codecs"])
            kv = got["key_value_metadata"]
            assert kv.get("verger.dim") == str(dim), (where, kv.get("verger.dim"))
            assert kv.get("verger.label") == label, (where, kv.get("verger.label"))
            assert kv.get("verger.model_sha256") == manifest["model_sha256"], (where, kv)
            assert json.loads(kv["verger.preprocessing"]) == manifest["preprocessing"], (where, kv)

            assert [r["path"] for r in got["rows"]] == paths, where
            assert [r["label"] for r in got["rows"]] == labels == [label] * len(paths), where
            values = np.array([r["features"] for r in got["rows"]], dtype=np.float64)
            assert values.shape == want.shape == (len(paths), dim), (where, values.shape, want.shape)
            assert np.array_equal(values.astype(np.float32).astype(np.float64), values), where
            assert np.array_equal(values.astype(np.float32).view(np.uint32), want.view(np.uint32)), where
            total += len(paths)
            labels_seen.add(label)

        assert total == manifest["images"]["ok"] == 4814, (total, manifest["images"])
        assert len(labels_seen) == 10, labels_seen
        print(f"{len(pairs)} tables, {total} rows x {dim}: csv {sizes['.csv']} bytes, parquet "
              f"{sizes['.parquet']} bytes ({sizes['.parquet'] / sizes['.csv']:.3f} of csv)")
    print("OK")


if __name__ == "__main__":
    sys.exit(main())
