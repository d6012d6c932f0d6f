#!/usr/bin/python3
"""The built-in `vgg16` spec runs a generated VGG16-to-fc2 ONNX: 4,096-d finite rows.

Usage (ctest sets the environment): test_vgg16_random.py PATH/TO/model_probe
"""
import json
import os
import subprocess
import sys
import tempfile

import onnx


def main():
    probe = sys.argv[1]
    src = os.environ["VERGER_SOURCE_DIR"]
    work_root = os.environ.get("VERGER_BUILD_DIR") or None  # ~550 MB: never into the repo
    with tempfile.TemporaryDirectory(prefix="vgg16_random_", dir=work_root) as tmp:
        path = os.path.join(tmp, "vgg16.onnx")
        subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts", "make_vgg16_onnx.py"), path, "--seed", "3"],
                       check=True)
        assert os.path.getsize(path) > 500_000_000, os.path.getsize(path)

        # The graph looks like a Keras export: input_1 NCHW with a dynamic batch, output fc2.
        m = onnx.load(path, load_external_data=False)
        inp, out = m.graph.input[0], m.graph.output[0]
        assert inp.name == "input_1", inp.name
        dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
        assert dims == ["N", 3, 224, 224], dims
        assert out.name == "fc2", out.name
        convs = [n for n in m.graph.node if n.op_type == "Conv"]
        pools = [n for n in m.graph.node if n.op_type == "MaxPool"]
        assert len(convs) == 13 and len(pools) == 5, (len(convs), len(pools))
        del m

        # Caffe-normalised pixels span roughly [-124, 152]: feed that scale.
        r = subprocess.run([probe, "--model", "vgg16", "--weights", path, "--batch", "3", "--range", "120"],
                           check=True, capture_output=True, text=True)
        print(r.stdout, r.stderr)
        res = json.loads(r.stdout)
        assert res["feature_dim"] == 4096, res
        assert res["rows"] == 3, res
        assert res["finite"], res
        assert res["nonzero"] > 3 * 4096 // 10, res  # ReLU output, but not dead
        assert res["max_row_diff"] > 0, res  # different images, different rows
        assert res["max_rel_batch_diff"] <= 1e-5, res  # a batch of 3 equals 3 batches of 1
        assert "one image per forward pass" not in res["description"], res  # dynamic batch really batches

        # Without --weights the built-in says where to get the file.
        r = subprocess.run([probe, "--model", "vgg16"], capture_output=True, text=True)
        assert r.returncode != 0 and "docs/models.md" in r.stderr, r.stderr
    print("ok")


if __name__ == "__main__":
    main()
