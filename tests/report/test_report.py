"""`verger report` end to end: a real `verger run` over 150 labels (one image
each, long names) plus broken images, then the page in headless Chromium: no console
errors, no external resources, the counts of the manifest and errors.csv,
every label in the scatter legend and none of its names clipped. Saves a
screenshot to $VERGER_BUILD_DIR/report-screenshot.png for a human look."""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from verger_test_util import check  # noqa: E402

from chromium_page import Page  # noqa: E402

VERGER = os.environ["VERGER_BIN"]
TRAINING = os.path.join(os.environ["VERGER_SHARED_DIR"], "datasets", "fruits-360-10", "Training")
LABELS = 150


def make_input(root):
    classes = sorted(os.listdir(TRAINING))
    labels = []
    for i in range(LABELS):
        cls = classes[i % len(classes)]
        label = f"{cls} variety {i:03d}"
        os.makedirs(os.path.join(root, label))
        names = sorted(os.listdir(os.path.join(TRAINING, cls)))
        name = names[i // len(classes)]
        shutil.copy(os.path.join(TRAINING, cls, name), os.path.join(root, label, name))
        labels.append(label)
    bad = os.path.join(root, "Broken uploads")
    os.makedirs(bad)
    with open(os.path.join(TRAINING, classes[0], sorted(os.listdir(os.path.join(TRAINING, classes[0])))[0]), "rb") as f:
        jpeg = f.read()
    for k in range(3):
        with open(os.path.join(bad, f"truncated-{k}.jpg"), "wb") as f:
            f.write(jpeg[:200 + k])
    with open(os.path.join(bad, "notes.jpg"), "w") as f:
        f.write("not an image\n")
    return labels


def main():
    tmp = tempfile.mkdtemp(prefix="verger_report_")
    try:
        images, out = os.path.join(tmp, "images"), os.path.join(tmp, "out")
        labels = make_input(images)
        subprocess.run([VERGER, "run", "--input", images, "--output", out, "--partition-size", "30",
                        "--components", "5", "--threads", "2", "--progress", "none"], check=True)
        r = subprocess.run([VERGER, "report", out], capture_output=True, text=True)
        check(r.returncode == 0, f"verger report failed: {r.stderr}")
        check("151 labels" in r.stdout and "4 failed images" in r.stdout, r.stdout)
        page = os.path.join(out, "report.html")
        html = open(page, encoding="utf-8").read()
        check(not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html) and "<link" not in html
              and "@import" not in html, "the page refers to external resources")

        with open(os.path.join(out, "errors.csv"), newline="") as f:
            errors = list(csv.DictReader(f))
        check(len(errors) == 4, errors)

        with Page("file://" + page) as p:
            p.settle()
            rows = p.evaluate("""Array.from(document.querySelectorAll('#label-table tbody tr')).map(tr =>
                [tr.dataset.label, +tr.querySelector('.ok').textContent, +tr.querySelector('.failed').textContent])""")
            check(len(rows) == LABELS + 1, f"{len(rows)} label rows")
            counts = {label: (ok, failed) for label, ok, failed in rows}
            check(all(counts[label] == (1, 0) for label in labels), "each variety: 1 row, 0 failed")
            check(counts["Broken uploads"] == (0, 4), counts["Broken uploads"])
            reasons = p.evaluate("""Array.from(document.querySelectorAll('#reason-table tbody tr')).map(tr =>
                [tr.querySelector('.reason').textContent, +tr.querySelector('.count').textContent])""")
            check(sum(n for _, n in reasons) == 4 and len(reasons) >= 2, reasons)
            check(p.evaluate("document.getElementById('card-ok').textContent").startswith("150"), "feature rows card")
            check(p.evaluate("!!document.querySelector('#stage-chart svg')"), "time by stage chart")
            check(p.evaluate("document.querySelectorAll('#speed-chart circle').length") >= 2, "images/s over time")
            check(p.evaluate("!!document.querySelector('#pca-variance svg')"), "explained variance chart")
            axis = p.evaluate("Array.from(document.querySelectorAll('#pca-scatter text')).map(t => t.textContent)")
            check(any(re.fullmatch(r"PC1 \(\d+\.\d% of variance\)", t) for t in axis), "PC1 axis with % variance")
            check(any(re.fullmatch(r"PC2 \(\d+\.\d% of variance\)", t) for t in axis), "PC2 axis with % variance")
            check(set(labels) <= set(axis), "every label in the legend")
            # Rendered: every legend name lies inside its picture (nothing clipped).
            clipped = p.evaluate("""(() => { const svg = document.querySelector('#pca-scatter svg');
                const box = svg.getBoundingClientRect();
                return Array.from(svg.querySelectorAll('text')).filter(t => {
                  const r = t.getBoundingClientRect();
                  return r.right > box.right + 0.5 || r.bottom > box.bottom + 0.5; }).map(t => t.textContent); })()""")
            check(clipped == [], f"legend names outside the picture: {clipped[:5]}")
            colours = p.evaluate("""new Set(Array.from(document.querySelectorAll('#pca-scatter svg circle[r="5"]'))
                .map(c => c.getAttribute('fill'))).size""")
            check(colours == LABELS, f"{colours} distinct legend colours for {LABELS} labels")
            # The filter box (the page's script) hides rows that do not match.
            p.evaluate("""(() => { const f = document.getElementById('label-filter'); f.value = 'variety 14';
                f.dispatchEvent(new Event('input')); })()""")
            shown = p.evaluate("""Array.from(document.querySelectorAll('#label-table tbody tr'))
                .filter(tr => tr.style.display !== 'none').length""")
            check(shown == 10, f"{shown} rows after filtering for 'variety 14'")
            p.evaluate("""(() => { const f = document.getElementById('label-filter'); f.value = '';
                f.dispatchEvent(new Event('input')); })()""")
            shot = os.path.join(os.environ.get("VERGER_BUILD_DIR", tmp), "report-screenshot.png")
            p.screenshot(shot)
            p.settle()
            check(p.problems == [], f"console errors: {p.problems}")
        check(os.path.getsize(shot) > 50_000, "screenshot too small to show the page")
        print(f"ok: report of {LABELS + 1} labels renders cleanly; screenshot {shot}")

        r = subprocess.run([VERGER, "report", images], capture_output=True, text=True)
        check(r.returncode == 2 and "no manifest" in r.stderr and "verger run" in r.stderr, r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
