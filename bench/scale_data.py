"""Inputs of the scale benchmark (bench/scale.py): a synthetic collection and a trivial model.

The collection is N hard links to a small pool of real JPEG photos, spread over 1,000 label folders,
so a million images cost a million directory entries, not a million files' bytes. verger keys reuse
on (key, size, mtime/ETag) and never on contents or inode, so links behave as distinct images; their
shared inode means they share mtime, which verger does not need to differ.

The model is a 1x1 convolution (3 -> 8 channels) and a global average pool on a 32x32 input: inference
costs next to nothing, so timings measure verger itself (listing, reading, decoding, writing, markers).
"""
import json
import os
import shutil

LABELS = 1000
POOL_SIZE = 500          # photos in the pool: the selection bench/image_bench decodes
INPUT_SIDE = 32
FEATURE_DIM = 8


def pool_photos(shared):
    """The fruits-360-10/Test photos image_bench's Fruits() loads: sorted, every step-th, at most 500."""
    root = os.path.join(shared, "datasets", "fruits-360-10", "Test")
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".jpg"))
    if not paths:
        raise SystemExit(f"scale: no photos under {root}: is ../shared beside the checkout?")
    step = max(1, len(paths) // POOL_SIZE)
    return paths[::step][:POOL_SIZE]


def make_pool(shared, work):
    """Copies the pool photos into `work`/pool (links must live on the collection's file system)."""
    pool = os.path.join(work, "pool")
    photos = pool_photos(shared)
    if not os.path.isdir(pool) or len(os.listdir(pool)) != len(photos):
        shutil.rmtree(pool, ignore_errors=True)
        os.makedirs(pool)
        for i, p in enumerate(photos):
            shutil.copyfile(p, os.path.join(pool, f"{i:04d}.jpg"))
    return [os.path.join(pool, f"{i:04d}.jpg") for i in range(len(photos))]


def image_name(label, i):
    return os.path.join(f"label_{label:04d}", f"img_{i:08d}.jpg")


def make_collection(pool, folder, n):
    """`n` images over LABELS folders (image i in folder i % LABELS), hard links into the pool.
    Reused when `folder` already holds exactly this collection."""
    stamp = os.path.join(folder, ".collection")
    if os.path.exists(stamp) and open(stamp).read() == str(n):
        return
    shutil.rmtree(folder, ignore_errors=True)
    for label in range(LABELS):
        os.makedirs(os.path.join(folder, f"label_{label:04d}"))
    for i in range(n):
        os.link(pool[i % len(pool)], os.path.join(folder, image_name(i % LABELS, i)))
    with open(stamp, "w") as f:
        f.write(str(n))


def add_new_images(pool, folder, n, count):
    """Adds `count` images spread over every label, with names that sort between the existing ones
    (the daily-growth case: new images land in most partitions, and with a fresh cut by count
    every partition boundary after the first new image would shift). Returns their paths so the
    caller can remove them again."""
    added = []
    for j in range(count):
        label = (j * LABELS // max(1, count)) % LABELS
        # img_XXXXXXXX_new.jpg sorts right after img_XXXXXXXX.jpg of the same label.
        anchor = label + LABELS * ((j * 7919) % max(1, n // LABELS))
        path = os.path.join(folder, f"label_{label:04d}", f"img_{anchor:08d}_new{j}.jpg")
        os.link(pool[j % len(pool)], path)
        added.append(path)
    return added


def make_model(folder):
    """Writes trivial.onnx and its spec trivial.json into `folder`; returns the spec path."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    onnx_path = os.path.join(folder, "trivial.onnx")
    spec_path = os.path.join(folder, "trivial.json")
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((FEATURE_DIM, 3, 1, 1)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["input", "w"], ["conv"], kernel_shape=[1, 1]),
         helper.make_node("GlobalAveragePool", ["conv"], ["features"])],
        "trivial",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIDE, INPUT_SIDE])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", FEATURE_DIM, 1, 1])],
        [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)
    spec = {"name": "trivial", "weights": "trivial.onnx", "input_name": "input", "input_width": INPUT_SIDE,
            "input_height": INPUT_SIDE, "color_order": "rgb", "normalization": "tf", "feature_tensor": "features",
            "pooling": "avg", "feature_dim": FEATURE_DIM}
    with open(spec_path, "w") as f:
        json.dump(spec, f, indent=1)
    return spec_path
