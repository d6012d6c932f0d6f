#!/usr/bin/python3
"""The torch backend's ONNX importer, op by op: small graphs built here with
onnx.helper (opsets 9 to 13, attribute and input forms) run through
model_probe on `--backend torch`, against a reference computed here with
python3-torch functionals or NumPy (integer arithmetic for the quantized
ops). Then an op outside the importer's set: `verger extract --backend
torch` exits 2 naming the node and the op.

Usage: test_onnx_ops.py MODEL_PROBE"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_probe_util import probe, rel_err, write_spec  # noqa: E402

H = W = 8
RNG = np.random.default_rng(12)


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def rnd(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def t(a):
    return torch.from_numpy(np.asarray(a))


def model(nodes, inits, opset, out_shape=None):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, H, W])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    imports = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(g, opset_imports=imports)


CASES = []


def case(name, opset, tol=1e-5):
    def register(fn):
        CASES.append((name, opset, tol, fn))
        return fn
    return register


@case("conv_groups_dilations_asymmetric_pads", 13)
def _():
    w, b = rnd(6, 1, 3, 3), rnd(6)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", group=3, dilations=[2, 1],
                              pads=[1, 2, 2, 0], strides=[1, 2])]
    ref = lambda x: F.conv2d(F.pad(x, [2, 0, 1, 2]), t(w), t(b), stride=[1, 2], dilation=[2, 1], groups=3)
    return nodes, [init("w", w), init("b", b)], ref


@case("conv_same_upper_and_lower_and_valid", 11)
def _():
    w1, w2, w3 = rnd(4, 3, 3, 3), rnd(5, 4, 2, 2), rnd(2, 5, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], auto_pad="SAME_UPPER", strides=[2, 2]),
             helper.make_node("Conv", ["a", "w2"], ["b"], auto_pad="SAME_LOWER", strides=[1, 1]),
             helper.make_node("Conv", ["b", "w3"], ["y"], auto_pad="VALID")]

    def ref(x):
        a = F.conv2d(F.pad(x, [0, 1, 0, 1]), t(w1), stride=2)  # 8 -> 4: total pad 1, the extra one at the end
        b = F.conv2d(F.pad(a, [1, 0, 1, 0]), t(w2))             # kernel 2, stride 1: total 1, extra at the start
        return F.conv2d(b, t(w3))
    return nodes, [init("w1", w1), init("w2", w2), init("w3", w3)], ref


@case("gemm_transB_alpha_beta_and_plain", 11)
def _():
    b1, c1, b2, c2 = rnd(10, 192), rnd(10), rnd(10, 7), rnd(1, 7)
    nodes = [helper.make_node("Flatten", ["x"], ["f"]),
             helper.make_node("Gemm", ["f", "b1", "c1"], ["g"], transB=1, alpha=0.5, beta=2.0),
             helper.make_node("Gemm", ["g", "b2", "c2"], ["y"])]
    ref = lambda x: (x.flatten(1) @ t(b1).T * 0.5 + 2 * t(c1)) @ t(b2) + t(c2)
    return nodes, [init("b1", b1), init("c1", c1), init("b2", b2), init("c2", c2)], ref


@case("matmul_flatten_axis2", 13)
def _():
    b = rnd(64, 5)
    nodes = [helper.make_node("Flatten", ["x"], ["f"], axis=2), helper.make_node("MatMul", ["f", "b"], ["m"]),
             helper.make_node("Reshape", ["m", "s"], ["y"])]
    ref = lambda x: (x.reshape(x.shape[0] * 3, 64) @ t(b)).reshape(-1, 15)
    return nodes, [init("b", b), init("s", np.array([-1, 15], np.int64))], ref


@case("batchnorm_relu_leakyrelu", 9)
def _():
    s, b, m, v = rnd(3), rnd(3), rnd(3), np.abs(rnd(3)) + 0.5
    nodes = [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["n"], epsilon=1e-3),
             helper.make_node("LeakyRelu", ["n"], ["l"], alpha=0.2), helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Add", ["l", "r"], ["y"])]
    ref = lambda x: F.leaky_relu(F.batch_norm(x, t(m), t(v), t(s), t(b), eps=1e-3), 0.2) + F.relu(x)
    return nodes, [init(k, a) for k, a in zip("sbmv", (s, b, m, v))], ref


@case("activations", 13)
def _():
    nodes = [helper.make_node("Sigmoid", ["x"], ["a"]), helper.make_node("HardSigmoid", ["x"], ["b"], alpha=0.3, beta=0.4),
             helper.make_node("HardSwish", ["x"], ["c"]), helper.make_node("Tanh", ["x"], ["d"]),
             helper.make_node("HardSigmoid", ["x"], ["e"], alpha=1 / 6, beta=0.5),
             helper.make_node("Concat", ["a", "b", "c", "d", "e"], ["y"], axis=1)]
    ref = lambda x: torch.cat([torch.sigmoid(x), torch.clamp(0.3 * x + 0.4, 0, 1), F.hardswish(x), torch.tanh(x),
                               F.hardsigmoid(x)], 1)
    return nodes, [], ref


@case("clip_attribute_form", 9)
def _():
    nodes = [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.7)]
    return nodes, [], lambda x: torch.clamp(x, -0.5, 0.7)


@case("clip_input_form_relu6_and_max_only", 13)
def _():
    nodes = [helper.make_node("Clip", ["x", "lo", "hi"], ["a"]), helper.make_node("Clip", ["x", "", "hi2"], ["b"]),
             helper.make_node("Sub", ["a", "b"], ["y"])]
    inits = [init("lo", np.float32(0)), init("hi", np.float32(6)), init("hi2", np.float32(0.3))]
    return nodes, inits, lambda x: torch.clamp(x * 1, 0, 6) - torch.clamp(x, max=0.3)


@case("conv_then_clip_bounds_other_than_relu6", 13)
def _():
    w, b = rnd(4, 3, 3, 3), rnd(4)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Clip", ["c", "lo", "hi"], ["y"])]
    inits = [init("w", w), init("b", b), init("lo", np.float32(-0.3)), init("hi", np.float32(0.4))]
    return nodes, inits, lambda x: torch.clamp(F.conv2d(x, t(w), t(b), padding=1), -0.3, 0.4)


@case("binary_broadcasting_and_constants", 13)
def _():
    c1, c2 = rnd(3, 1, 1), np.abs(rnd(1, 3, 1, 1)) + 0.5
    cnode = helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.float32(1.5), "k"))
    nodes = [cnode, helper.make_node("Add", ["x", "c1"], ["a"]), helper.make_node("Sub", ["k", "a"], ["b"]),
             helper.make_node("Mul", ["b", "k"], ["c"]), helper.make_node("Div", ["c", "c2"], ["d"]),
             helper.make_node("Dropout", ["d"], ["e"]), helper.make_node("Identity", ["e"], ["y"])]
    return nodes, [init("c1", c1), init("c2", c2)], lambda x: (1.5 - (x + t(c1))) * 1.5 / t(c2)


@case("pools", 12)
def _():
    nodes = [helper.make_node("MaxPool", ["x"], ["a"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=1),
             helper.make_node("AveragePool", ["x"], ["b"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                              count_include_pad=1),
             helper.make_node("AveragePool", ["x"], ["c"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["x"], ["d"], kernel_shape=[2, 2], strides=[2, 2], dilations=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("Concat", ["a", "b", "c", "d"], ["y"], axis=1)]

    def ref(x):
        a = F.max_pool2d(F.pad(x, [0, 1, 0, 1], value=-np.inf), 3, 2, ceil_mode=True)
        b = F.avg_pool2d(x, 3, 2, 1, count_include_pad=True)
        c = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
        d = F.max_pool2d(x, 2, 2, 1, dilation=2)
        return torch.cat([a, b, c, d], 1)
    return nodes, [], ref


@case("global_pools_concat_flatten", 13)
def _():
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["a"]), helper.make_node("GlobalMaxPool", ["x"], ["b"]),
             helper.make_node("Concat", ["a", "b"], ["c"], axis=1), helper.make_node("Flatten", ["c"], ["y"])]
    return nodes, [], lambda x: torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1)


@case("reshape_transpose_squeeze_unsqueeze_inputs", 13)
def _():
    nodes = [helper.make_node("Reshape", ["x", "s"], ["a"]), helper.make_node("Transpose", ["a"], ["b"], perm=[0, 2, 1]),
             helper.make_node("Unsqueeze", ["b", "ax"], ["c"]), helper.make_node("Squeeze", ["c", "ax2"], ["y"])]
    inits = [init("s", np.array([0, -1, 4], np.int64)), init("ax", np.array([1, 3], np.int64)),
             init("ax2", np.array([-2], np.int64))]
    return nodes, inits, lambda x: x.reshape(x.shape[0], -1, 4).permute(0, 2, 1).unsqueeze(1)


@case("squeeze_unsqueeze_attributes", 11)
def _():
    nodes = [helper.make_node("Unsqueeze", ["x"], ["a"], axes=[0, 3]), helper.make_node("Squeeze", ["a"], ["y"], axes=[0])]
    return nodes, [], lambda x: x.unsqueeze(2)


@case("shape_gather_unsqueeze_concat_reshape_softmax_legacy", 11)
def _():
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Gather", ["s", "i"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n"], ["u"], axes=[0]), helper.make_node("Concat", ["u", "m1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("Softmax", ["r"], ["y"], axis=1)]
    inits = [init("i", np.array(0, np.int64)), init("m1", np.array([-1], np.int64))]
    return nodes, inits, lambda x: torch.softmax(x.reshape(x.shape[0], -1), 1)


@case("softmax_legacy_flattens_trailing_dims", 9)
def _():
    return [helper.make_node("Softmax", ["x"], ["y"], axis=2)], [], \
        lambda x: torch.softmax(x.reshape(x.shape[0], 3, -1), 2).reshape(x.shape)


@case("softmax_opset13_single_axis", 13)
def _():
    return [helper.make_node("Softmax", ["x"], ["y"], axis=1)], [], lambda x: torch.softmax(x, 1)


@case("pad_reflect_edge_constant", 11)
def _():
    pads = np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)
    nodes = [helper.make_node("Pad", ["x", "p"], ["a"], mode="reflect"), helper.make_node("Pad", ["x", "p"], ["b"], mode="edge"),
             helper.make_node("Pad", ["x", "p", "v"], ["c"]), helper.make_node("Concat", ["a", "b", "c"], ["y"], axis=1)]
    ref = lambda x: torch.cat([F.pad(x, [2, 1, 1, 2], mode="reflect"), F.pad(x, [2, 1, 1, 2], mode="replicate"),
                               F.pad(x, [2, 1, 1, 2], value=0.25)], 1)
    return nodes, [init("p", pads), init("v", np.float32(0.25))], ref


@case("pad_attribute_form", 9)
def _():
    return [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 0, 0, 1, 0, 2], value=-1.0)], [], \
        lambda x: F.pad(x, [0, 2, 1, 0, 0, 1], value=-1.0)


# ---- quantized ops, against integer arithmetic in NumPy ----
XS, XZ = 0.02, 128          # input: uint8
WS = np.array([0.01, 0.02, 0.015, 0.03], np.float32)  # per output channel, int8
YS, YZ = 0.05, 10           # conv output: uint8, zero point 10 (values below 10 clamp: a ReLU-like floor)
AS, AZ = 0.06, 0            # add output
PS, PZ = 0.04, 3            # pool output


def quantize(x, s, z, lo=0, hi=255):
    return np.clip(np.round(x / s) + z, lo, hi)


@case("quantized_conv_add_pool", 13, tol=None)
def _():
    wq = RNG.integers(-60, 60, (4, 3, 3, 3)).astype(np.int8)
    bq = RNG.integers(-500, 500, 4).astype(np.int32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("QLinearAdd", ["c", "ys", "yz", "c", "ys", "yz", "as", "az"], ["a"], domain="com.microsoft"),
             helper.make_node("QLinearGlobalAveragePool", ["a", "as", "az", "ps", "pz"], ["p"], domain="com.microsoft"),
             helper.make_node("DequantizeLinear", ["p", "ps", "pz"], ["y"])]
    inits = [init("xs", np.float32(XS)), init("xz", np.uint8(XZ)), init("w", wq), init("ws", WS),
             init("wz", np.zeros(4, np.int8)), init("ys", np.float32(YS)), init("yz", np.uint8(YZ)), init("b", bq),
             init("as", np.float32(AS)), init("az", np.uint8(AZ)), init("ps", np.float32(PS)), init("pz", np.uint8(PZ))]

    def ref(x):
        xq = quantize(x.numpy(), XS, XZ) - XZ
        acc = F.conv2d(torch.from_numpy(xq).double(), torch.from_numpy(wq.astype(np.float64)), padding=1).numpy()
        acc += bq.reshape(1, 4, 1, 1)
        c = quantize(acc * (XS * WS.astype(np.float64)).reshape(1, 4, 1, 1) / YS, 1, YZ)  # requantize
        a = quantize((c - YZ) * YS * 2, AS, AZ)
        p = quantize((a - AZ).mean((2, 3), keepdims=True) * AS, PS, PZ)
        return torch.from_numpy((p - PZ) * PS)
    return nodes, inits, ref


def check_quantized(got, want):
    # Float32 accumulation may land a value on the other side of a rounding
    # boundary: allow one quantization step, on few values.
    diff = np.abs(got - want)
    assert np.max(diff) <= PS * 1.01, np.max(diff)
    assert np.mean(diff > PS / 2) <= 0.1, np.mean(diff > PS / 2)


def run_cases(probe_bin, tmp):
    x = RNG.uniform(-2, 2, (2, 3, H, W)).astype(np.float32)
    for name, opset, tol, build in CASES:
        nodes, inits, ref = build()
        path = os.path.join(tmp, name + ".onnx")
        m = model(nodes, inits, opset)
        onnx.save(m, path)
        with torch.no_grad():
            want = ref(torch.from_numpy(x)).numpy().reshape(2, -1)
        spec = write_spec(os.path.join(tmp, name + ".json"), path, "x", "y", want.shape[1], (H, W))
        got, _ = probe(probe_bin, spec, x, tmp)
        if tol is None:
            check_quantized(got, want)
            print(f"{name}: max abs diff {np.max(np.abs(got - want)):.3g} (quantization step {PS})")
        else:
            err = rel_err(got, want)
            print(f"{name} (opset {opset}): max rel err {err:.3g}")
            assert err <= tol, (name, err)


def run_unsupported(tmp):
    """An op outside the set: exit status 2, and the message names node and op."""
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="fine"),
             helper.make_node("Celu", ["r"], ["y"], name="my_celu_node")]
    path = os.path.join(tmp, "unsupported.onnx")
    onnx.save(model(nodes, [], 13), path)
    spec = write_spec(os.path.join(tmp, "unsupported.json"), path, "x", "y", 3 * H * W, (H, W))
    photos = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10", "Test")
    inp = os.path.join(tmp, "in", "Kiwi 1")
    os.makedirs(inp)
    first = sorted(os.listdir(os.path.join(photos, "Kiwi 1")))[0]
    os.symlink(os.path.join(photos, "Kiwi 1", first), os.path.join(inp, first))
    r = subprocess.run([os.environ["VERGER_BIN"], "extract", "-i", os.path.dirname(inp), "-o", os.path.join(tmp, "out"),
                        "--model", spec, "--backend", "torch", "--progress", "none"], capture_output=True, text=True)
    print("unsupported op:", r.returncode, r.stderr.strip())
    assert r.returncode == 2, r.returncode
    assert "my_celu_node" in r.stderr and "Celu" in r.stderr and "--backend opencv" in r.stderr, r.stderr


def main():
    with tempfile.TemporaryDirectory(prefix="torch_onnx_ops_", dir=os.environ.get("VERGER_BUILD_DIR")) as tmp:
        env_cache = os.path.join(tmp, "cache")
        os.environ["XDG_CACHE_HOME"] = env_cache  # conversions go to a private cache
        run_cases(sys.argv[1], tmp)
        run_unsupported(tmp)
    print("ok")


if __name__ == "__main__":
    main()
