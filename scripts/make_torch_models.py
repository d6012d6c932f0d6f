#!/usr/bin/python3
"""Writes TorchScript MobileNetV2 and ResNet50 with RANDOM weights, plus verger spec files.

torchvision architectures (weights=None: nothing is downloaded, nothing is
pretrained): for speed measurements and tests of verger's torch backend
only. Each module returns its last convolutional feature map (N x C x 7 x 7)
and the spec averages it (pooling "avg"), as the classifiers do.

Usage: make_torch_models.py OUTDIR [--seed N]
Writes OUTDIR/{mobilenetv2,resnet50}-random.pt and OUTDIR/{mobilenetv2,resnet50}-random.json.
"""
import argparse
import json
import os
import sys

import torch
import torchvision


class Trunk(torch.nn.Module):
    """A classifier network up to (not including) its global pooling."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return self.body(x)


def networks():
    mobilenet = torchvision.models.mobilenet_v2(weights=None)
    resnet = torchvision.models.resnet50(weights=None)
    resnet_body = torch.nn.Sequential(*list(resnet.children())[:-2])  # drop avgpool + fc
    return {"mobilenetv2-random": (Trunk(mobilenet.features), 1280),
            "resnet50-random": (Trunk(resnet_body), 2048)}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)
    torch.manual_seed(args.seed)
    for name, (net, dim) in networks().items():
        net.eval()
        pt = os.path.join(args.outdir, name + ".pt")
        torch.jit.script(net).save(pt)
        spec = {"name": name, "weights": name + ".pt", "format": "torchscript", "backend": "torch",
                "input_name": "input", "input_width": 224, "input_height": 224, "color_order": "rgb",
                "normalization": "torch", "resize_filter": "bilinear", "feature_tensor": "output",
                "pooling": "avg", "feature_dim": dim}
        with open(os.path.join(args.outdir, name + ".json"), "w") as f:
            json.dump(spec, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
