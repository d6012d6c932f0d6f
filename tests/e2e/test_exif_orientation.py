"""EXIF orientation is ignored, as Keras `load_img` ignores it (it opens the file with Pillow and never calls
ImageOps.exif_transpose): a JPEG carrying an EXIF Orientation tag (6 = "rotate 90 CW to display") yields exactly
the features of the same JPEG without the tag, and not those of the image turned upright. docs/outputs.md."""
import os
import shutil

import numpy as np
from PIL import Image, ImageOps

from verger_test_util import *  # noqa: F403

inp, out = tempdir("exif_in"), tempdir("exif_out")
try:
    src = sorted(list_images(LARGE))[0]
    img = Image.open(os.path.join(LARGE, src)).convert("RGB")
    check(img.width != img.height, "a non-square photo makes a rotation visible")
    os.makedirs(os.path.join(inp, "x"))
    plain, tagged, upright = (os.path.join(inp, "x", n) for n in ("plain.jpg", "tagged.jpg", "upright.jpg"))
    img.save(plain, quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW
    img.save(tagged, quality=92, exif=exif.tobytes())
    check(Image.open(tagged).getexif().get(0x0112) == 6, "the tag was written")
    check(open(plain, "rb").read() != open(tagged, "rb").read(), "the files differ (EXIF segment)")
    # What Pillow (and so Keras) decodes: the stored pixels, not turned.
    check(np.array_equal(np.asarray(Image.open(plain)), np.asarray(Image.open(tagged))), "Pillow pixels differ")
    ImageOps.exif_transpose(Image.open(tagged)).save(upright, quality=92)

    run_verger("extract", "--input", inp, "--output", out, "--model", "squeezenet", "--format", "csv",
               "--threads", "2", "--progress", "none")
    rows, _ = read_feature_csvs(out)
    a, b, c = (rows[f"x/{n}"][1] for n in ("plain.jpg", "tagged.jpg", "upright.jpg"))
    check(a == b, "the EXIF orientation tag changed the features: verger must ignore it, as Keras load_img does")
    check(a != c, "the upright image must give other features (else this test could not fail)")
    print("ok: EXIF orientation ignored")
finally:
    shutil.rmtree(inp, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
