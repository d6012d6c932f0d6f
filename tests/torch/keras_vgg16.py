"""Keras VGG16 stand-ins for tests: random weights in Keras' exact HDF5 layout, and
an independent numpy forward pass with Keras' channels-last semantics.

The layout is what Keras 2's save_weights_to_hdf5_group writes (and what
vgg16_weights_tf_dim_ordering_tf_kernels.h5 holds): root attrs layer_names,
backend, keras_version; one group per layer (sorted by name) with attr
weight_names, datasets at "<layer>/<layer>/kernel:0" and ".../bias:0";
Conv2D kernels (kh, kw, in, out), Dense kernels (in, out).
"""
import h5py
import numpy as np

BLOCKS = [(1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)]


def layer_list():
    """[(name, kernel shape or None)] in Keras VGG16 order (include_top=True)."""
    layers, c_in = [("input_1", None)], 3
    for b, convs, c_out in BLOCKS:
        for i in range(1, convs + 1):
            layers.append((f"block{b}_conv{i}", (3, 3, c_in, c_out)))
            c_in = c_out
        layers.append((f"block{b}_pool", None))
    layers += [("flatten", None), ("fc1", (7 * 7 * 512, 4096)), ("fc2", (4096, 4096)), ("predictions", (4096, 1000))]
    return layers


def random_weights(seed):
    """{layer: (kernel, bias)}: He-scaled kernels, small non-zero biases (so a bias mix-up shows)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in layer_list():
        if shape is None:
            continue
        fan_in = int(np.prod(shape[:-1]))
        k = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        b = rng.standard_normal(shape[-1], dtype=np.float32) * np.float32(0.1)
        out[name] = (k, b)
    return out


def write_keras_h5(path, weights, whole_model=False):
    """save_weights layout (layers at the root), or with whole_model what model.save('x.h5') writes:
    the same layers under /model_weights, the model's config at the root."""
    with h5py.File(path, "w") as f:
        if whole_model:
            f.attrs["model_config"] = b'{"class_name": "Functional", "config": {"name": "vgg16"}}'
            f.attrs["keras_version"] = b"2.15.0"
        root = f.create_group("model_weights") if whole_model else f
        names = [n for n, _ in layer_list()]
        root.attrs["layer_names"] = np.array([n.encode("utf8") for n in names])
        root.attrs["backend"] = b"tensorflow"
        root.attrs["keras_version"] = b"2.15.0"
        for name in sorted(names):
            g = root.create_group(name)
            if name not in weights:
                g.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            wnames = [f"{name}/kernel:0", f"{name}/bias:0"]
            g.attrs["weight_names"] = np.array([w.encode("utf8") for w in wnames])
            for wn, val in zip(wnames, weights[name]):
                g.create_dataset(wn, data=val)


def conv_same_relu(x, kernel, bias):
    """Keras Conv2D(3x3, padding='same') + ReLU on one H x W x C image (cross-correlation, HWIO kernel)."""
    h, w, c = x.shape
    p = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    cols = np.empty((h, w, 3, 3, c), np.float32)
    for dy in range(3):
        for dx in range(3):
            cols[:, :, dy, dx, :] = p[dy:dy + h, dx:dx + w, :]
    y = cols.reshape(h * w, 9 * c) @ kernel.reshape(9 * c, -1) + bias
    return np.maximum(y, 0).reshape(h, w, -1)


def forward_fc2(weights, image_hwc):
    """Keras VGG16 up to fc2 (after ReLU) on one preprocessed H x W x 3 image, channels-last."""
    x = image_hwc.astype(np.float32)
    for b, convs, _ in BLOCKS:
        for i in range(1, convs + 1):
            x = conv_same_relu(x, *weights[f"block{b}_conv{i}"])
        h, w, c = x.shape
        x = x.reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))  # MaxPooling2D(2, 2)
    x = x.reshape(-1)  # Flatten, channels-last: (h, w, c) order
    for name in ("fc1", "fc2"):
        k, bias = weights[name]
        x = np.maximum(x @ k + bias, 0)
    return x
