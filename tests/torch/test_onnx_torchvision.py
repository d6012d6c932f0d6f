#!/usr/bin/python3
"""ONNX exports of torchvision ResNet50, MobileNetV2, EfficientNet-B0 and
DenseNet121 (random weights with randomised batch-norm statistics, exported
here with python3-torch at different opsets, cached in the build folder) run
on verger's torch backend through spec files. On the same input (3 photos,
preprocessed here with Pillow + NumPy) each one's features equal
python3-torch's within 1e-4 relative: at the inner tensor that global pooling
reads (avg-pooled, the usual embedding) and at the graph output (logits).

Usage: test_onnx_torchvision.py MODEL_PROBE [NAME...]"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_probe_util import probe, rel_err, write_spec  # noqa: E402

TOLERANCE = 1e-4
# name: (constructor, opset, the inner tensor's reference: model, x -> N x C x h x w)
NETWORKS = {
    "resnet50": (torchvision.models.resnet50, 9, lambda m, x: torch.nn.Sequential(*list(m.children())[:-2])(x)),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, 11, lambda m, x: m.features(x)),
    "efficientnet_b0": (torchvision.models.efficientnet_b0, 13, lambda m, x: m.features(x)),
    "densenet121": (torchvision.models.densenet121, 12, lambda m, x: F.relu(m.features(x))),
}


def build(name, seed=5):
    torch.manual_seed(seed)
    m = NETWORKS[name][0]()
    g = torch.Generator().manual_seed(seed)
    for mod in m.modules():  # non-trivial batch-norm statistics, so folding them is tested
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(torch.rand(mod.num_features, generator=g) * 0.2 - 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) * 0.5 + 0.75)
    return m.eval()


def export(name, folder):
    """The cached ONNX export and the PyTorch model it came from."""
    m = build(name)
    path = os.path.join(folder, f"{name}-opset{NETWORKS[name][1]}-{torch.__version__}.onnx")
    if not os.path.exists(path):
        tmp = path + f".{os.getpid()}"
        torch.onnx.export(m, torch.zeros(1, 3, 224, 224), tmp, opset_version=NETWORKS[name][1], input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}})
        os.replace(tmp, path)
    return path, m


def pooled_tensor(path):
    """Name of the tensor the export's last GlobalAveragePool (before the classifier) reads."""
    pools = [n.input[0] for n in onnx.load(path, load_external_data=False).graph.node if n.op_type == "GlobalAveragePool"]
    assert pools, f"{path}: no GlobalAveragePool"
    return pools[-1]


def photos(n=3):
    test = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10", "Test")
    out = []
    for cls in sorted(os.listdir(test))[:n]:
        f = sorted(os.listdir(os.path.join(test, cls)))[0]
        img = Image.open(os.path.join(test, cls, f)).convert("RGB").resize((224, 224), Image.BILINEAR)
        x = np.asarray(img, np.float32) / 255.0
        x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
        out.append(x.transpose(2, 0, 1))
    return np.stack(out).astype(np.float32)


def main():
    probe_bin, names = sys.argv[1], sys.argv[2:] or list(NETWORKS)
    folder = os.path.join(os.environ["VERGER_BUILD_DIR"], "fixtures", "onnx-torchvision")
    os.makedirs(folder, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = os.path.join(folder, "cache")
    x = photos()
    torch.set_num_threads(2)
    for name in names:
        path, m = export(name, folder)
        with torch.no_grad():
            inner = NETWORKS[name][2](m, torch.from_numpy(x))
            want = {"inner": inner.mean((2, 3)).numpy(), "output": m(torch.from_numpy(x)).numpy()}
        tensor = pooled_tensor(path)
        specs = {
            "inner": write_spec(os.path.join(folder, name + "-inner.json"), path, "input", tensor, inner.shape[1],
                                (224, 224), pooling="avg"),
            "output": write_spec(os.path.join(folder, name + "-output.json"), path, "input", "logits", 1000, (224, 224)),
        }
        for where, spec in specs.items():
            got, summary = probe(probe_bin, spec, x, folder)
            err = rel_err(got, want[where])
            print(f"{name} {where} ({tensor if where == 'inner' else 'logits'}): max rel err {err:.3g}; "
                  f"{summary['description']}")
            assert summary["max_rel_batch_diff"] <= TOLERANCE, summary
            assert np.count_nonzero(want[where]) > want[where].size // 4, "reference features are dead"
            assert err <= TOLERANCE, (name, where, err)
    print("ok")


if __name__ == "__main__":
    main()
