"""Parquet files verger writes, read back by hyparquet (JavaScript, no code
shared with DuckDB) in a separate node process: same rows, same float32
values bit for bit as the CSV written from the same table, zstd-compressed
columns, and the table's key-value metadata."""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

SOURCE = os.environ["VERGER_SOURCE_DIR"]
NODE_MODULES = os.path.join(SOURCE, "third_party", "node", "node_modules")
READER = os.path.join(SOURCE, "tests", "parquet", "read_parquet.mjs")


def read_with_hyparquet(*paths):
    """{path: file} as read_parquet.mjs prints it."""
    if not os.path.isdir(os.path.join(NODE_MODULES, "hyparquet")):
        raise SystemExit(f"FAIL: {NODE_MODULES}/hyparquet missing: run scripts/setup.d/10-duckdb")
    out = subprocess.run(["node", READER, NODE_MODULES, *paths], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    values = np.array([[np.float32(v) for v in r[2:]] for r in body], dtype=np.float32)
    return header, [r[0] for r in body], [r[1] for r in body], values


def check(tmp, name, rows, dim, label, prefix="dim_"):
    base = os.path.join(tmp, name)
    subprocess.run([os.environ["VERGER_PARQUET_TOOL"], "write", base, str(rows), str(dim), label, prefix], check=True)
    got = read_with_hyparquet(base + ".parquet")[base + ".parquet"]
    header, paths, labels, want = read_csv(base + ".csv")

    column = "features" if prefix == "dim_" else prefix.rstrip("_")
    assert got["schema"] == ["path", "label", column], got["schema"]
    assert set(got["codecs"]) == ({"ZSTD"} if rows else set()), got["codecs"]
    kv = got["key_value_metadata"]
    assert kv["verger.dim"] == str(dim), kv
    assert kv["verger.label"] == label, kv
    assert kv["verger.column_prefix"] == prefix, kv
    assert kv["model_spec_sha256"] == "0123456789abcdef" * 4, kv
    assert json.loads(kv["preprocessing"]) == {"mode": "tf", "size": [224, 224]}, kv

    assert header[2:] == [f"{prefix}{i}" for i in range(dim)]
    assert len(got["rows"]) == rows == len(paths), (len(got["rows"]), rows, len(paths))
    assert [r["path"] for r in got["rows"]] == paths
    assert [r["label"] for r in got["rows"]] == labels == [label] * rows
    if rows:
        values = np.array([r[column] for r in got["rows"]], dtype=np.float64)
        assert values.shape == (rows, dim), values.shape
        # hyparquet hands out float32 values as exact doubles.
        assert np.array_equal(values.astype(np.float32).astype(np.float64), values)
        assert np.array_equal(values.astype(np.float32).view(np.uint32), want.view(np.uint32))
    print(f"{name}: {rows} x {dim} '{label}' ok, {os.path.getsize(base + '.parquet')} bytes parquet, "
          f"{os.path.getsize(base + '.csv')} bytes csv, {got['row_groups']} row group(s)")


def main():
    with tempfile.TemporaryDirectory(prefix="verger-parquet-readers-") as tmp:
        check(tmp, "awkward", 30, 1280, "Banana 1 é=/%'\"")
        check(tmp, "dim1_pca", 5, 1, "Pear", prefix="pc_")
        check(tmp, "dim4096", 4, 4096, "Kiwi")
        check(tmp, "many_chunks", 5000, 3, "Lemon")
        check(tmp, "empty", 0, 8, "Nothing here")
    print("OK")


if __name__ == "__main__":
    sys.exit(main())
