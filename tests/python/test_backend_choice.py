"""Backend choice (`--backend auto`, the default) and the batch per backend: `verger extract`, the
Extractor that cluster workers use and the Python Featurizer pick the same backend, for the same
reason, with the same batch and model hash, for every kind of weights; what ran is in manifest.json.

The ONNX graph made here uses LRN (local response normalisation, AlexNet/GoogLeNet era): OpenCV DNN
4.6 runs it, the ONNX->LibTorch importer deliberately does not (its operator set is that of modern
image CNNs), so `auto` must fall back to OpenCV and `--backend torch` must refuse it."""
import json
import os
import subprocess

import numpy as np
import pytest

import verger
from verger import _cluster as vc
from conftest import TRAINING

VERGER_BIN = os.environ.get("VERGER_BIN", "")
SIZE = 16  # tiny networks: the tests are about the choice, not the speed


def write_lrn_onnx(path):
    """x [N,3,16,16] -> Conv 3->4 (3x3, pad 1) -> LRN (node 'lrn_1') -> 'feat' [N,4,16,16]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32), "conv_w")
    b = numpy_helper.from_array(rng.normal(0, 0.1, (4,)).astype(np.float32), "conv_b")
    nodes = [helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["conv_out"], name="conv_1", pads=[1, 1, 1, 1],
                              kernel_shape=[3, 3]),
             helper.make_node("LRN", ["conv_out"], ["feat"], name="lrn_1", size=3, alpha=1e-2, beta=0.75, bias=1.0)]
    graph = helper.make_graph(nodes, "lrn_net",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
                              [helper.make_tensor_value_info("feat", TensorProto.FLOAT, ["N", 4, SIZE, SIZE])],
                              initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def write_torchscript(path):
    import torch
    torch.manual_seed(5)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU()).eval()
    torch.jit.script(net).save(path)


def write_spec(path, weights, **fields):
    spec = {"weights": os.path.basename(weights), "input_name": "x", "input_width": SIZE, "input_height": SIZE,
            "color_order": "rgb", "normalization": "tf", "feature_tensor": "feat", "pooling": "avg", "feature_dim": 4}
    spec.update(fields)
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("backend_choice")
    onnx_path, pt_path = str(d / "lrn.onnx"), str(d / "tiny.pt")
    write_lrn_onnx(onnx_path)
    write_torchscript(pt_path)
    return {
        # spec file -> (backend that must run, how the reason starts)
        "onnx-lrn": (write_spec(str(d / "lrn.json"), onnx_path), "opencv", "auto: opencv, because torch: "),
        "pt": (write_spec(str(d / "tiny.json"), pt_path, format="torchscript"), "torch",
               "auto: torch (TorchScript weights)"),
        "pt-spec-says-opencv": (write_spec(str(d / "tiny-opencv.json"), pt_path, backend="opencv"), "torch",
                                "torch, because only LibTorch reads these weights (the spec says opencv)"),
        # Until ONNX imports into LibTorch the built-in falls back to OpenCV; after that it runs on torch.
        "builtin-mobilenetv2": ("mobilenetv2", None, "auto: "),
    }


def extract(model, out, *args, check=True):
    p = subprocess.run([VERGER_BIN, "extract", "-i", TRAINING, "-o", out, "--model", model, "--limit", "2",
                        "--threads", "2", "--format", "csv", "--progress", "none", *args],
                       capture_output=True, text=True)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


@pytest.mark.parametrize("kind", ["onnx-lrn", "pt", "pt-spec-says-opencv", "builtin-mobilenetv2"])
def test_cli_extractor_and_featurizer_pick_the_same_backend(models, kind, tmp_out):
    model, want_backend, reason_start = models[kind]
    p = extract(model, tmp_out)
    m = manifest(tmp_out)
    ran = m["model"]["backend"]
    assert ran in ("opencv", "torch"), m["model"]
    if want_backend:
        assert ran == want_backend, m["backend_reason"]
    assert m["backend_reason"].startswith(reason_start), m["backend_reason"]
    if kind == "builtin-mobilenetv2":  # int8 graph: the torch import (OpenCV's arithmetic, faster)
        assert ran == "torch", m["backend_reason"]
        assert m["backend_reason"] == "auto: torch (ONNX imported)", m["backend_reason"]
        assert "int8 levels channels-last" in m["backend"], m["backend"]
    # The description names the engine that ran; the default batch is the backend's.
    assert m["backend"].startswith({"opencv": "opencv-dnn", "torch": "libtorch"}[ran]), m["backend"]
    assert m["batch"] == {"opencv": 1, "torch": 32}[ran]
    assert f"backend {m['backend_reason']}, batch {m['batch']}" in p.stderr

    ex = vc.Extractor(model=model, threads=2)
    assert (json.loads(ex.spec_json)["backend"], ex.backend_choice, ex.batch, ex.spec_hash) == \
        (ran, m["backend_reason"], m["batch"], m["model_sha256"])
    f = verger.Featurizer(model, threads=2)
    assert (f.backend, f.batch, f.model_hash) == ((ran, m["backend_reason"]), m["batch"], m["model_sha256"])


def test_unsupported_op_falls_back_under_auto_and_fails_under_torch(models, tmp_out):
    spec = models["onnx-lrn"][0]
    auto_out, opencv_out = os.path.join(tmp_out, "auto"), os.path.join(tmp_out, "opencv")
    extract(spec, auto_out)
    extract(spec, opencv_out, "--backend", "opencv")
    auto_m, opencv_m = manifest(auto_out), manifest(opencv_out)
    assert opencv_m["backend_reason"] == "opencv (requested)"
    # Same backend ran, so the same model hash: --resume may reuse rows across the two.
    assert auto_m["model_sha256"] == opencv_m["model_sha256"]
    auto_rows = verger.read_features(auto_out)[2]
    assert auto_rows.shape == (2, 4) and np.array_equal(auto_rows, verger.read_features(opencv_out)[2])

    p = extract(spec, os.path.join(tmp_out, "torch"), "--backend", "torch", check=False)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("verger: error: model lrn: "), p.stderr
    # The ONNX importer names the node and the op; before it existed torch refused every ONNX but VGG16.
    assert ("lrn_1" in p.stderr and "LRN" in p.stderr) or "converts only Keras VGG16" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(tmp_out, "torch", "manifest.json"))


def test_batch_given_overrides_the_backend_default(models, tmp_out):
    extract(models["pt"][0], tmp_out, "--batch", "3")
    assert manifest(tmp_out)["batch"] == 3
    assert verger.Featurizer(models["pt"][0], batch=3, threads=2).batch == 3


def test_featurizer_rows_equal_extract_rows_on_opencv_batch_one(models, tmp_out):
    """Featurizer decodes several images per round but runs the backend's batch (1 on OpenCV)."""
    spec = models["onnx-lrn"][0]
    extract(spec, tmp_out)
    paths, _, rows = verger.read_features(tmp_out)
    f = verger.Featurizer(spec, threads=2)
    assert f.batch == 1
    assert np.array_equal(f.features([os.path.join(TRAINING, p) for p in paths]), rows)
