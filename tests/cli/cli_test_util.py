"""Helpers for the CLI scripts: a small labelled input folder copied from fruits-360-10."""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import *  # noqa: E402,F401,F403


def small_input(root, per_label, split=TRAINING):
    """Copies the first `per_label` images of each fruits-360-10 label into root/<label>/; returns their keys."""
    keys = []
    for label in sorted(os.listdir(split)):
        src = os.path.join(split, label)
        if not os.path.isdir(src):
            continue
        os.makedirs(os.path.join(root, label))
        for name in sorted(os.listdir(src))[:per_label]:
            shutil.copyfile(os.path.join(src, name), os.path.join(root, label, name))
            keys.append(f"{label}/{name}")
    return sorted(keys)


def files_under(root):
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.relpath(os.path.join(d, f), root) for f in files]
    return sorted(out)


def empty_dirs_under(root):
    return sorted(os.path.relpath(d, root) for d, dirs, files in os.walk(root) if not dirs and not files)


def error_lines(stderr):
    return [l for l in stderr.splitlines() if l.strip()]
