#!/usr/bin/python3
"""Writes the Keras-layout .h5 files keras_h5_test.cc reads, with h5py (an HDF5
writer independent of the reader under test). Usage: keras_h5_fixture.py OUT_DIR

Values are exact in float32: kernel[i] = i / 4 - 3 in row-major order, bias[i] = 100 + i.
"""
import os
import sys

import h5py
import numpy as np


def kernel(shape, dtype=np.float32):
    return (np.arange(int(np.prod(shape))).reshape(shape) / 4 - 3).astype(dtype)


def bias(n, dtype=np.float32):
    return (100 + np.arange(n)).astype(dtype)


def fixed(names):
    return np.array([n.encode("utf8") for n in names])


def layer(root, name, weights, variable_length=False):
    """One layer group as Keras' save_weights_to_hdf5_group writes it: datasets at <name>/<weight>:0."""
    g = root.create_group(name)
    names = [f"{name}/{w}:0" for w in weights]
    if variable_length:
        g.attrs.create("weight_names", names, dtype=h5py.string_dtype())
    else:
        g.attrs["weight_names"] = fixed(names) if names else np.array([], dtype="S1")
    for wn, value in zip(names, weights.values()):
        g.create_dataset(wn, data=value)


def main(out):
    # model.save_weights('x.h5'): layers at the root; a float64 Dense layer with variable-length weight_names.
    with h5py.File(os.path.join(out, "weights.h5"), "w") as f:
        f.attrs["layer_names"] = fixed(["input_1", "conv", "dense"])
        f.attrs["backend"] = b"tensorflow"
        layer(f, "input_1", {})
        layer(f, "conv", {"kernel": kernel((3, 3, 2, 4)), "bias": bias(4)})
        layer(f, "dense", {"kernel": kernel((5, 3), np.float64), "bias": bias(3, np.float64)}, variable_length=True)
    # model.save('x.h5'): weights under /model_weights, layer_names split in chunks (name0, name1, ...).
    with h5py.File(os.path.join(out, "model.h5"), "w") as f:
        f.attrs["model_config"] = b'{"class_name": "Sequential"}'
        mw = f.create_group("model_weights")
        mw.attrs["layer_names0"] = fixed(["conv"])
        mw.attrs["layer_names1"] = fixed(["dense"])
        layer(mw, "conv", {"kernel": kernel((3, 3, 2, 4)), "bias": bias(4)})
        layer(mw, "dense", {"kernel": kernel((5, 3)), "bias": bias(3)})
    # weight_names lists a kernel that is not there.
    with h5py.File(os.path.join(out, "missing_dataset.h5"), "w") as f:
        f.attrs["layer_names"] = fixed(["conv"])
        g = f.create_group("conv")
        g.attrs["weight_names"] = fixed(["conv/kernel:0", "conv/bias:0"])
        g.create_dataset("conv/bias:0", data=bias(4))
    # Integer weights.
    with h5py.File(os.path.join(out, "int_kernel.h5"), "w") as f:
        f.attrs["layer_names"] = fixed(["conv"])
        layer(f, "conv", {"kernel": kernel((3, 3, 2, 4)).astype(np.int32), "bias": bias(4)})
    # HDF5, but not Keras: no layer_names.
    with h5py.File(os.path.join(out, "not_keras.h5"), "w") as f:
        f.create_dataset("data", data=kernel((2, 2)))
    with open(os.path.join(out, "not_hdf5.h5"), "wb") as f:
        f.write(b"PK\x03\x04 this is a zip, not HDF5")


if __name__ == "__main__":
    main(sys.argv[1])
