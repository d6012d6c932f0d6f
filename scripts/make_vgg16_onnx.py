#!/usr/bin/python3
"""Writes a VGG16-to-fc2 ONNX graph with random (He-initialised) weights.

Same layer shapes and cost as Keras' VGG16 cut at fc2 (13 3x3 same-padding
convs + ReLU, 5 max pools, flatten, fc1 25088->4096 ReLU, fc2 4096->4096
ReLU), laid out the way tf2onnx exports Keras with --inputs-as-nchw: NCHW
input `input_1` [N,3,224,224] with a dynamic batch, a Transpose to NHWC
before the flatten Reshape, MatMul + Add for the dense layers, graph output
`fc2`. For speed measurements and tests only: the features mean nothing.

Usage: make_vgg16_onnx.py OUT.onnx [--seed N]      (~553 MB)
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (block, convs, channels) of Keras VGG16.
BLOCKS = [(1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)]


def he(rng, shape, fan_in):
    # He init keeps ReLU activations at the input's scale, so outputs stay finite.
    w = rng.standard_normal(shape, dtype=np.float32)
    w *= np.float32(np.sqrt(2.0 / fan_in))
    return w


def build(seed):
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    x, c_in = "input_1", 3
    for block, convs, c_out in BLOCKS:
        for i in range(1, convs + 1):
            name = f"block{block}_conv{i}"
            inits.append(numpy_helper.from_array(he(rng, (c_out, c_in, 3, 3), c_in * 9), name + "/kernel"))
            inits.append(numpy_helper.from_array(np.zeros(c_out, np.float32), name + "/bias"))
            nodes.append(helper.make_node("Conv", [x, name + "/kernel", name + "/bias"], [name + "/BiasAdd"],
                                          name=name, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]))
            nodes.append(helper.make_node("Relu", [name + "/BiasAdd"], [name], name=name + "/Relu"))
            x, c_in = name, c_out
        pool = f"block{block}_pool"
        nodes.append(helper.make_node("MaxPool", [x], [pool], name=pool, kernel_shape=[2, 2], strides=[2, 2]))
        x = pool
    # Keras flattens channels-last: transpose back to NHWC first, as tf2onnx does.
    nodes.append(helper.make_node("Transpose", [x], ["block5_pool/nhwc"], name="flatten/transpose", perm=[0, 2, 3, 1]))
    inits.append(numpy_helper.from_array(np.array([-1, 7 * 7 * 512], np.int64), "flatten/shape"))
    nodes.append(helper.make_node("Reshape", ["block5_pool/nhwc", "flatten/shape"], ["flatten"], name="flatten"))
    x, n_in = "flatten", 7 * 7 * 512
    for name in ["fc1", "fc2"]:
        inits.append(numpy_helper.from_array(he(rng, (n_in, 4096), n_in), name + "/kernel"))
        inits.append(numpy_helper.from_array(np.zeros(4096, np.float32), name + "/bias"))
        nodes.append(helper.make_node("MatMul", [x, name + "/kernel"], [name + "/MatMul"], name=name + "/MatMul"))
        nodes.append(helper.make_node("Add", [name + "/MatMul", name + "/bias"], [name + "/BiasAdd"], name=name + "/BiasAdd"))
        nodes.append(helper.make_node("Relu", [name + "/BiasAdd"], [name], name=name + "/Relu"))
        x, n_in = name, 4096
    graph = helper.make_graph(
        nodes, "vgg16_fc2_random",
        [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("fc2", TensorProto.FLOAT, ["N", 4096])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="verger make_vgg16_onnx.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output .onnx path")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = ap.parse_args(argv)
    onnx.save(build(args.seed), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
