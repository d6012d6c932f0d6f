"""Done-when of the PCA issue, end to end on real MobileNetV2 features of fruits-360-10:
`verger run` (extract -> fit -> transform; the shared Training fixture, see fixture_train.py) against scikit-learn's PCA(svd_solver='full'):
explained variance ratios within 1e-6, components within 1e-6 after sign alignment (clear eigen-gap),
projections within 1e-5; the Training model applied to Test with `verger transform --pca`; a linear
classifier on the reduced rows reaches >= 98% on Test; pictures are valid SVG naming every label."""
import shutil
import xml.etree.ElementTree as ET

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from verger_test_util import *


def load_npy_dataset(out, dataset):
    paths, labels, blocks = [], [], []
    for f in sorted(glob.glob(os.path.join(out, dataset, "label=*", "part-*.npy"))):
        with open(f[: -len(".npy")] + ".keys.csv", newline="", encoding="utf-8") as fh:
            recs = list(csv.reader(fh))[1:]
        a = np.load(f)
        check(a.shape[0] == len(recs), f"{f}: rows and keys differ")
        blocks.append(a)
        paths += [r[0] for r in recs]
        labels += [r[1] for r in recs]
    order = np.argsort(paths, kind="stable")
    x = np.concatenate(blocks)[order]
    return [paths[i] for i in order], [labels[i] for i in order], x


train_out, test_out = os.environ["VERGER_FIXTURE_TRAIN"], tempdir("pca_test")
try:
    paths, labels, x = load_npy_dataset(train_out, "features")
    check(x.shape == (4814, 1280), x.shape)
    meta = json.load(open(os.path.join(train_out, "pca", "model.json")))
    k = meta["components"]
    ratio = np.load(os.path.join(train_out, "pca", "explained_variance_ratio.npy"))
    comps = np.load(os.path.join(train_out, "pca", "components.npy"))
    mean = np.load(os.path.join(train_out, "pca", "mean.npy"))
    check(comps.shape == (k, 1280) and ratio.shape == (k,), (comps.shape, ratio.shape))

    ref = PCA(n_components=0.95, svd_solver="full").fit(x.astype(np.float64))
    check(ref.n_components_ == k, f"K: verger {k}, sklearn {ref.n_components_}")
    d_ratio = np.max(np.abs(ratio - ref.explained_variance_ratio_))
    check(d_ratio <= 1e-6, f"explained variance ratio differs by {d_ratio}")
    check(np.max(np.abs(mean - ref.mean_)) <= 1e-6, "mean differs")
    ev = ref.explained_variance_
    gaps_ok, worst = 0, 0.0
    for i in range(k):
        gap = min(abs(ev[i] - ev[j]) / ev[i] for j in range(len(ev)) if j != i) if i + 1 < len(ev) else 1
        if gap <= 1e-3:
            continue
        sign = 1.0 if np.dot(comps[i], ref.components_[i]) >= 0 else -1.0
        worst = max(worst, float(np.max(np.abs(sign * comps[i] - ref.components_[i]))))
        gaps_ok += 1
    check(worst <= 1e-6, f"components differ by {worst} after sign alignment")
    check(gaps_ok >= k // 2, f"only {gaps_ok} of {k} components have a clear eigen-gap")

    rpaths, rlabels, reduced = load_npy_dataset(train_out, "reduced")
    check(rpaths == paths, "reduced rows are not the feature rows")
    signs = np.sign(np.sum(comps * ref.components_[:k], axis=1))
    expected = ref.transform(x.astype(np.float64)) * signs
    d_proj = float(np.max(np.abs(reduced - expected)))
    check(d_proj <= 1e-5 * max(1.0, float(np.max(np.abs(expected)))), f"projection differs by {d_proj}")

    run_verger("extract", "--input", TEST, "--output", test_out, "--model", "mobilenetv2", "--format", "npy",
               "--threads", "2", "--overwrite", "--progress", "log")
    run_verger("transform", "--input", test_out, "--pca", os.path.join(train_out, "pca"), "--progress", "none")
    tpaths, tlabels, treduced = load_npy_dataset(test_out, "reduced")
    check(len(tpaths) == 1609, len(tpaths))
    clf = LogisticRegression(max_iter=5000).fit(reduced, labels)
    acc = clf.score(treduced, tlabels)
    print(f"K={k} for --variance 0.95; explained ratio max diff {d_ratio:.2e}; components max diff {worst:.2e} "
          f"({gaps_ok} with clear gap); projection max diff {d_proj:.2e}; linear probe Test accuracy {acc:.4f}")
    check(acc >= 0.98, f"accuracy {acc}")

    for name in ["explained_variance.svg", "scatter_pc1_pc2.svg"]:
        path = os.path.join(train_out, "pca", name)
        check(os.path.getsize(path) > 1000, f"{name} is tiny")
        root = ET.parse(path).getroot()
        check(root.tag.endswith("svg"), f"{name}: root is {root.tag}")
        text = " ".join(t for t in root.itertext())
        if name.startswith("scatter"):
            for label in set(labels):
                check(label in text, f"{name} lacks label {label}")
    m = read_manifest(train_out)
    check(m["pca"]["components"] == k and m["reduced"]["rows"] == 4814, m.get("pca"))
    print("ok")
finally:
    shutil.rmtree(test_out, ignore_errors=True)
