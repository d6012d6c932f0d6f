"""Running an ONNX graph through verger's torch backend with model_probe: a
spec file per (graph, tensor), the input as an N x (3*H*W) float32 .npy."""
import json
import os
import subprocess

import numpy as np


def write_spec(path, weights, input_name, tensor, dim, size, pooling="none", backend="torch"):
    spec = {"name": os.path.splitext(os.path.basename(path))[0], "weights": weights, "backend": backend,
            "input_name": input_name, "input_width": size[1], "input_height": size[0], "color_order": "rgb",
            "normalization": "none", "feature_tensor": tensor, "pooling": pooling, "feature_dim": int(dim)}
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def probe(probe_bin, spec, x, workdir, env=None):
    """verger's rows for input x (N x 3 x H x W) through `spec`: (N x dim array, probe's JSON summary)."""
    inp = os.path.join(workdir, "in.npy")
    out = os.path.join(workdir, "out.npy")
    np.save(inp, np.ascontiguousarray(x, np.float32).reshape(x.shape[0], -1))
    r = subprocess.run([probe_bin, "--model", spec, "--input", inp, "--out", out], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        raise AssertionError(f"model_probe {spec} failed: {r.stderr.strip()}")
    return np.load(out), json.loads(r.stdout)


def rel_err(got, want):
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-12))
