#!/usr/bin/python3
"""verger's streaming, partitioned PCA (via pca_tool) against scikit-learn's
PCA(svd_solver='full') fit on the same rows in float64.

Cases: (a) synthetic correlated data, 3000 x 300, with a clear spectrum and
three labelled clusters; (b) real CNN features from the .npy named by
VERGER_PCA_FEATURES_NPY (float32, rows x features) when that variable is set.

Checks: explained_variance_ratio within 1e-6 absolute; components within
1e-6 after sign alignment, for components whose eigenvalue is separated from
its neighbours by a relative gap > 1e-3 (others are not unique); projected
rows within rtol=atol=1e-5 on those components; the chosen K for a variance
fraction equals sklearn's; model files load with numpy alone; the SVGs parse
as XML and carry their labels.

usage: test_pca_vs_sklearn.py PCA_TOOL
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
from sklearn.decomposition import PCA

FAILURES = []


def check(ok, message):
    if not ok:
        FAILURES.append(message)
        print("FAIL:", message)


def synthetic(n=3000, d=300, latent=40, seed=0):
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((latent, d))
    scales = 5.0 * 0.85 ** np.arange(latent)  # clear, decaying spectrum
    labels = rng.integers(0, 3, size=n)
    centres = rng.standard_normal((3, latent)) * 2.0
    z = rng.standard_normal((n, latent)) * scales + centres[labels]
    x = z @ mixing + 3.0 + 0.05 * rng.standard_normal((n, d))
    names = np.array(["apple", "banana & kiwi", "cherry"])[labels]
    return x.astype(np.float32), list(names)


def run_tool(tool, x, outdir, args, labels=None):
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "in.npy")
    np.save(path, x)
    cmd = [tool, "fit", path, outdir] + args
    if labels is not None:
        with open(os.path.join(outdir, "labels.txt"), "w") as f:
            f.write("\n".join(labels) + "\n")
        cmd += ["--labels", os.path.join(outdir, "labels.txt")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"pca_tool failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load_model(outdir):
    meta = json.load(open(os.path.join(outdir, "model.json")))
    arrays = {key: np.load(os.path.join(outdir, name)) for key, name in meta["files"].items()}
    return meta, arrays


def svg_texts(path):
    root = ET.parse(path).getroot()  # raises on malformed XML
    check(root.tag.endswith("svg"), f"{path}: root element is {root.tag}, not svg")
    return " | ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


def compare(name, tool, x, workdir, args, sk_kwargs, labels=None):
    """Fits both and compares; returns the number of gapped components."""
    outdir = os.path.join(workdir, name)
    timings = run_tool(tool, x, outdir, args, labels)
    meta, ours = load_model(outdir)
    x64 = x.astype(np.float64)
    sk = PCA(svd_solver="full", **sk_kwargs).fit(x64)
    k = meta["components"]
    print(f"[{name}] {x.shape[0]} x {x.shape[1]}, pca_tool {' '.join(args)}: K = {k} "
          f"(sklearn {sk.n_components_}), fit {timings['fit_s']:.3f} s")
    check(k == sk.n_components_, f"[{name}] K {k} != sklearn {sk.n_components_}")
    k = min(k, sk.n_components_)

    check(ours["components"].dtype == np.float64 and ours["components"].shape == (meta["components"], x.shape[1]),
          f"[{name}] components.npy dtype/shape {ours['components'].dtype} {ours['components'].shape}")
    check(meta["n_samples"] == x.shape[0], f"[{name}] n_samples {meta['n_samples']}")
    evr_err = np.abs(ours["explained_variance_ratio"][:k] - sk.explained_variance_ratio_[:k]).max()
    check(evr_err <= 1e-6, f"[{name}] explained_variance_ratio max abs diff {evr_err:.3g} > 1e-6")
    ev_rel = (np.abs(ours["explained_variance"][:k] - sk.explained_variance_[:k]) / sk.explained_variance_[:k]).max()
    check(ev_rel <= 1e-6, f"[{name}] explained_variance max rel diff {ev_rel:.3g} > 1e-6")
    mean_err = np.abs(ours["mean"] - sk.mean_).max()
    check(mean_err <= 1e-9 * max(1.0, np.abs(sk.mean_).max()), f"[{name}] mean max abs diff {mean_err:.3g}")
    noise_rel = abs(meta["noise_variance"] - sk.noise_variance_) / max(sk.noise_variance_, 1e-300)
    check(noise_rel <= 1e-6, f"[{name}] noise_variance {meta['noise_variance']} vs {sk.noise_variance_}")

    # Components with a clear eigen-gap are unique up to sign.
    spectrum = PCA(svd_solver="full").fit(x64).explained_variance_
    gapped = []
    for i in range(k):
        lam = spectrum[i]
        gaps = [abs(lam - spectrum[j]) for j in (i - 1, i + 1) if 0 <= j < len(spectrum)]
        if lam > 0 and min(gaps) / lam > 1e-3:
            gapped.append(i)
    signs = np.sign(np.sum(ours["components"][:k] * sk.components_[:k], axis=1))
    if gapped:
        comp_err = np.abs(ours["components"][gapped] - signs[gapped, None] * sk.components_[gapped]).max()
        check(comp_err <= 1e-6, f"[{name}] components max abs diff {comp_err:.3g} > 1e-6")
        projected = np.load(os.path.join(outdir, "projected.npy"))
        check(projected.dtype == np.float32 and projected.shape == (x.shape[0], meta["components"]),
              f"[{name}] projected.npy {projected.dtype} {projected.shape}")
        ref = sk.transform(x64)[:, gapped] * signs[gapped]
        got = projected[:, gapped].astype(np.float64)
        proj_err = np.abs(got - ref).max()
        check(np.allclose(got, ref, rtol=1e-5, atol=1e-5),
              f"[{name}] projected rows differ (max abs {proj_err:.3g}, rtol=atol=1e-5)")
        print(f"[{name}] {len(gapped)}/{k} components gapped; max diffs: ratio {evr_err:.2g}, "
              f"components {comp_err:.2g}, projected {proj_err:.2g}")
    check(len(gapped) > 0, f"[{name}] no component has a clear eigen-gap: nothing compared")

    scree = svg_texts(os.path.join(outdir, "explained_variance.svg"))
    for needle in ("Principal component", "Explained variance ratio", f"K = {meta['components']}", "cumulative"):
        check(needle in scree, f"[{name}] explained_variance.svg lacks '{needle}'")
    scatter = svg_texts(os.path.join(outdir, "scatter_pc1_pc2.svg"))
    for needle in ["PC1", "PC2"] + sorted(set(labels or [])):
        check(needle in scatter, f"[{name}] scatter_pc1_pc2.svg lacks '{needle}'")
    return len(gapped)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="verger-pca-") as work:
        x, labels = synthetic()
        compare("synthetic-k20", tool, x, work, ["--components", "20", "--partitions", "8"],
                {"n_components": 20}, labels)
        compare("synthetic-var95-whiten", tool, x, work, ["--variance", "0.95", "--whiten", "--partitions", "5"],
                {"n_components": 0.95, "whiten": True}, labels)

        real = os.environ.get("VERGER_PCA_FEATURES_NPY")
        if real:
            features = np.load(real).astype(np.float32)
            compare("real-features-var95", tool, features, work, ["--variance", "0.95", "--partitions", "4"],
                    {"n_components": 0.95})
        else:
            print("VERGER_PCA_FEATURES_NPY is not set: ran the synthetic case (a) only, not real features (b)")

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
