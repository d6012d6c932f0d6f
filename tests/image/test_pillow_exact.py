#!/usr/bin/python3
"""Byte-for-byte comparison of verger's decode + resize with Pillow 9.4.

The oracle is what Keras' load_img does:
    Image.open(f).convert('RGB')                      (decode)
    ....resize((w, h), Image.NEAREST | Image.BILINEAR) (resize)
Inputs: a deterministic sample of fruits-360-10 photos (every class, both
splits), all fruits-360-large-sample photos, and images generated here in
modes Pillow reads differently (grey, alpha, palette+tRNS, 1/2/4/16-bit,
CMYK, progressive, interlaced, ...). Also checks that damaged files are
refused by both. Needs env VERGER_DUMP_RGB (the dump_rgb tool) and
VERGER_SHARED_DIR.
"""
import os
import struct
import warnings
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

DUMP = os.environ["VERGER_DUMP_RGB"]
SHARED = Path(os.environ.get("VERGER_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
FRUITS = SHARED / "datasets" / "fruits-360-10"
LARGE = SHARED / "datasets" / "fruits-360-large-sample"
PER_CLASS_PER_SPLIT = 12  # 10 classes x 2 splits x 12 = 240 photos

FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR}
MAIN_SIZES = [(224, 224, "nearest"), (224, 224, "bilinear")]
ODD_SIZES = [(1, 1, "bilinear"), (1, 1, "nearest"), (37, 301, "bilinear"), (37, 301, "nearest"),
             (301, 37, "bilinear"), (500, 333, "bilinear"), (500, 333, "nearest"), (17, 17, "bilinear"),
             (17, 17, "nearest"), (3, 1000, "bilinear"), (1000, 3, "nearest"), (100, 224, "bilinear"),
             (224, 100, "bilinear"), (99, 101, "bilinear")]

failures = []


def fail(msg):
    failures.append(msg)


# ---------------------------------------------------------------- inputs

def fruit_sample():
    files = []
    for split in ("Training", "Test"):
        for cls in sorted(p for p in (FRUITS / split).iterdir() if p.is_dir()):
            imgs = sorted(cls.glob("*.jpg"))
            n = min(PER_CLASS_PER_SPLIT, len(imgs))
            files += [imgs[(i * len(imgs)) // n] for i in range(n)]
    return files


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """Packs one row of integer samples at `depth` bits, big-endian (PNG order)."""
    if depth == 8:
        return bytes(np.asarray(samples, dtype=np.uint8))
    if depth == 16:
        return np.asarray(samples, dtype=">u2").tobytes()
    per = 8 // depth
    out = bytearray((len(samples) + per - 1) // per)
    for i, v in enumerate(samples):
        out[i // per] |= int(v) << (8 - depth * (i % per + 1))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, arr, color_type, depth, interlace=False, plte=None, trns=None):
    """Minimal PNG writer for layouts Pillow cannot save (16-bit RGB(A)/LA,
    2/4-bit grey, interlaced, short palettes). arr: HxW or HxWxC ints."""
    arr = np.asarray(arr)
    h, w = arr.shape[:2]
    flat = arr.reshape(h, w, -1)

    def rows_of(sub):
        return b"".join(b"\x00" + pack_row(sub[y].reshape(-1), depth) for y in range(sub.shape[0]))

    if interlace:
        raw = b"".join(rows_of(flat[y0::dy, x0::dx]) for x0, y0, dx, dy in ADAM7
                       if flat[y0::dy, x0::dx].size)
    else:
        raw = rows_of(flat)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0,
                                                                  1 if interlace else 0))
    if plte is not None:
        data += png_chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        data += png_chunk(b"tRNS", trns)
    data += png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    Path(path).write_bytes(data)


def synthetic(tmp):
    """Generated images covering Pillow's mode conversions. Returns paths."""
    rng = np.random.default_rng(1234)
    src = Image.open(sorted((FRUITS / "Test").glob("*/*.jpg"))[0]).convert("RGB").resize((61, 47))
    rgb = np.asarray(src)
    out = []

    def save(name, img, **kw):
        p = tmp / name
        img.save(p, **kw)
        out.append(p)

    save("grey.jpg", src.convert("L"), quality=90)
    save("grey.png", src.convert("L"))
    rgba = src.convert("RGBA")
    rgba.putalpha(128)
    save("rgba.png", rgba)
    rgba = src.convert("RGBA")
    rgba.putalpha(Image.fromarray(rng.integers(0, 256, (47, 61), dtype=np.uint8)))
    save("rgba_varying_alpha.png", rgba)
    save("la.png", src.convert("LA"))
    p = src.convert("P", palette=Image.ADAPTIVE, colors=16)
    save("p_trns.png", p, transparency=3)
    save("p_4bit.png", p, bits=4)
    save("p_full.png", src.convert("P", palette=Image.ADAPTIVE, colors=256))
    save("bilevel.png", src.convert("1"))
    save("i16_grey.png", Image.fromarray((rng.integers(0, 600, (47, 61))).astype(np.uint16)))
    save("i16_grey_small.png", Image.fromarray((rng.integers(0, 256, (47, 61))).astype(np.uint16)))
    save("cmyk.jpg", src.convert("CMYK"), quality=92)
    save("progressive.jpg", src, quality=85, progressive=True)
    save("progressive_optimized.jpg", src, quality=75, progressive=True, optimize=True)
    for sub in (0, 1, 2):
        save(f"subsampling{sub}.jpg", src, quality=95, subsampling=sub)
    save("q10.jpg", src, quality=10)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 (ignored by Pillow and by us)
    save("exif_orient.jpg", src, exif=exif.tobytes())
    save("odd_37x301.jpg", Image.fromarray(rng.integers(0, 256, (301, 37, 3), dtype=np.uint8)), quality=80)
    save("one_pixel.jpg", Image.new("RGB", (1, 1), (200, 10, 30)))
    save("one_pixel.png", Image.new("RGB", (1, 1), (200, 10, 30)))
    save("rgb.png", src)

    def raw(name, arr, ct, depth, **kw):
        write_png(tmp / name, arr, ct, depth, **kw)
        out.append(tmp / name)

    grey = np.asarray(src.convert("L")).astype(np.int64)
    raw("rgb16.png", rgb.astype(np.int64) * 257 + rng.integers(0, 257, rgb.shape), 2, 16)
    raw("rgba16.png", np.dstack([rgb.astype(np.int64) * 257, rng.integers(0, 65536, grey.shape)]), 6, 16)
    raw("la16.png", np.dstack([grey * 257 + 100, rng.integers(0, 65536, grey.shape)]), 4, 16)
    raw("grey2.png", grey >> 6, 0, 2)
    raw("grey4.png", grey >> 4, 0, 4)
    raw("grey16_wide.png", rng.integers(0, 65536, grey.shape), 0, 16)
    raw("interlaced_rgb.png", rgb, 2, 8, interlace=True)
    raw("interlaced_rgba16.png", np.dstack([rgb.astype(np.int64) * 257, grey * 200]), 6, 16, interlace=True)
    raw("interlaced_bilevel.png", grey >> 7, 0, 1, interlace=True)
    raw("interlaced_p4.png", grey >> 4, 3, 4, interlace=True,
        plte=rng.integers(0, 256, (16, 3)), trns=bytes(range(0, 160, 10)))
    # Indices past the PLTE entries: Pillow shows its initial grey ramp there.
    raw("p_short_plte.png", (np.arange(61 * 47) % 40).reshape(47, 61), 3, 8, plte=[(255, 0, 0), (0, 0, 255)])
    raw("interlaced_tiny.png", rgb[:3, :2], 2, 8, interlace=True)
    return out


# ---------------------------------------------------------------- running

def run_dump(files, sizes, outdir):
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [DUMP, str(outdir)] + [f"{w}x{h}:{f}" for w, h, f in sizes] + ["--"] + [str(f) for f in files]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"dump_rgb failed ({r.returncode}): {r.stderr}")


def read_rgb(path):
    data = path.read_bytes()
    w, h = struct.unpack("<ii", data[:8])
    return np.frombuffer(data[8:], dtype=np.uint8).reshape(h, w, 3)


def compare(label, ours_path, theirs):
    if not ours_path.exists():
        err = ours_path.with_name(ours_path.name.split("_")[0].split(".")[0] + ".err")
        fail(f"{label}: verger produced no output ({err.read_text() if err.exists() else 'no .err either'})")
        return
    ours = read_rgb(ours_path)
    theirs = np.asarray(theirs)
    if ours.shape != theirs.shape:
        fail(f"{label}: shape {ours.shape} != Pillow's {theirs.shape}")
        return
    diff = np.any(ours != theirs, axis=2)
    if diff.any():
        y, x = map(int, np.argwhere(diff)[0])
        fail(f"{label}: {int(diff.sum())} pixels differ; first at (x={x}, y={y}): "
             f"verger {tuple(ours[y, x])} vs Pillow {tuple(theirs[y, x])}")


def check_batch(files, sizes, outdir, name):
    run_dump(files, sizes, outdir)
    for i, f in enumerate(files):
        decoded = Image.open(f).convert("RGB")
        compare(f"{f} [decode]", outdir / f"{i}.rgb", decoded)
        for j, (w, h, flt) in enumerate(sizes):
            compare(f"{f} [resize {w}x{h} {flt}]", outdir / f"{i}_{j}.rgb",
                    decoded.resize((w, h), FILTERS[flt]))
    print(f"{name}: {len(files)} files x (decode + {len(sizes)} sizes) compared")


def check_refusals(tmp, outdir):
    """Damaged inputs: Pillow refuses them, so must we, with the right code."""
    good = sorted((FRUITS / "Test").glob("*/*.jpg"))[0].read_bytes()
    png = (tmp / "rgb.png").read_bytes()
    cases = {
        "truncated.jpg": (good[: len(good) // 2], "Corrupt"),
        "truncated.png": (png[: len(png) // 2], "Corrupt"),
        "empty.jpg": (b"", "Unsupported"),
        "text.jpg": (b"<html>404 not found</html>\n", "Unsupported"),
    }
    files = []
    for name, (data, _) in cases.items():
        (tmp / name).write_bytes(data)
        files.append(tmp / name)
    run_dump(files, [], outdir)
    for i, (name, (_, code)) in enumerate(cases.items()):
        try:
            Image.open(tmp / name).convert("RGB")
            fail(f"{name}: Pillow accepted it; the test case is wrong")
        except Exception:  # noqa: BLE001 - any Pillow refusal will do
            pass
        err = outdir / f"{i}.err"
        if not err.exists():
            fail(f"{name}: verger decoded a file Pillow refuses")
        elif not err.read_text().startswith(code + ":"):
            fail(f"{name}: expected {code}, got {err.read_text()!r}")
    print(f"refusals: {len(cases)} damaged files checked")


def check_truncations(tmp, outdir):
    """Cuts files at many points: verger must accept exactly the prefixes
    Pillow accepts (e.g. PNGs whose rows are all in but whose IEND is
    missing), with the same pixels, and refuse the rest."""
    src = Image.open(sorted((FRUITS / "Test").glob("*/*.jpg"))[5]).convert("RGB")
    whole = {}
    for name, kw in (("cut.jpg", dict(quality=90)), ("cut_prog.jpg", dict(quality=90, progressive=True)),
                     ("cut.png", {})):
        src.save(tmp / name, **kw)
        whole[name] = (tmp / name).read_bytes()
    write_png(tmp / "cut_interlaced.png", np.asarray(src)[:37, :29], 2, 8, interlace=True)
    whole["cut_interlaced.png"] = (tmp / "cut_interlaced.png").read_bytes()
    files = []
    for name, data in whole.items():
        n = len(data)
        for k in sorted(set(range(max(0, n - 40), n)) | set(range(0, n, max(1, n // 40)))):
            f = tmp / f"{k}_{name}"
            f.write_bytes(data[:k])
            files.append(f)
    run_dump(files, [], outdir)
    for i, f in enumerate(files):
        try:
            ref = np.asarray(Image.open(f).convert("RGB"))
        except Exception:  # noqa: BLE001 - any Pillow refusal
            ref = None
        ours = outdir / f"{i}.rgb"
        if ref is None and ours.exists():
            fail(f"{f.name}: Pillow refuses this truncated file, verger decoded it")
        elif ref is not None and not ours.exists():
            fail(f"{f.name}: Pillow decodes this truncated file, verger refused: {(outdir / f'{i}.err').read_text()}")
        elif ref is not None:
            compare(f"{f.name} [decode]", ours, ref)
    print(f"truncations: {len(files)} cut files checked")


def check_mutations(tmp, outdir, count=600):
    """Random byte corruptions (fixed seed) of JPEG and PNG files: verger must
    accept exactly what Pillow accepts, with the same pixels, and never crash."""
    rng = np.random.default_rng(99)
    src = Image.open(sorted((FRUITS / "Test").glob("*/*.jpg"))[7]).convert("RGB")
    bases = []
    for fmt, img, kw in (("JPEG", src, dict(quality=90)), ("JPEG", src, dict(quality=90, progressive=True)),
                         ("JPEG", src.convert("L"), dict(quality=80)), ("PNG", src, {}),
                         ("PNG", src.convert("P"), {})):
        buf = tmp / f"base.{fmt.lower()}"
        img.save(buf, fmt, **kw)
        bases.append((fmt, buf.read_bytes()))
    files = []
    for n in range(count):
        fmt, data = bases[n % len(bases)]
        data = bytearray(data)
        start = 3 if fmt == "JPEG" else 8  # keep the signature: this is about the decoders
        for _ in range(int(rng.integers(1, 5))):
            data[int(rng.integers(start, len(data)))] = int(rng.integers(0, 256))
        f = tmp / f"mut{n}.{fmt.lower()}"
        f.write_bytes(bytes(data))
        files.append(f)
    run_dump(files, [], outdir)
    for i, f in enumerate(files):
        try:
            ref = np.asarray(Image.open(f).convert("RGB"))
        except Exception:  # noqa: BLE001 - any Pillow refusal
            ref = None
        ours = outdir / f"{i}.rgb"
        if ref is None and ours.exists():
            fail(f"{f.name}: Pillow refuses this corrupted file, verger decoded it")
        elif ref is not None and not ours.exists():
            fail(f"{f.name}: Pillow decodes this corrupted file, verger refused: {(outdir / f'{i}.err').read_text()}")
        elif ref is not None:
            compare(f"{f.name} [decode]", ours, ref)
    print(f"mutations: {len(files)} corrupted files checked")


def main():
    warnings.simplefilter("ignore")  # Pillow's palette-transparency advice is noise here
    fruits = fruit_sample()
    large = sorted(p for p in LARGE.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(fruits) < 200:
        sys.exit(f"expected >= 200 fruit photos under {FRUITS}, found {len(fruits)}")
    if len(large) != 90:
        sys.exit(f"expected 90 large-sample photos under {LARGE}, found {len(large)}")
    with tempfile.TemporaryDirectory(prefix="verger_image_exact_") as t:
        tmp = Path(t)
        gen_dir = tmp / "gen"
        gen_dir.mkdir()
        generated = synthetic(gen_dir)
        check_batch(fruits, MAIN_SIZES, tmp / "fruits", "fruits-360-10 sample")
        check_batch(large, MAIN_SIZES, tmp / "large", "fruits-360-large-sample")
        check_batch(generated, MAIN_SIZES + ODD_SIZES, tmp / "generated", "generated images")
        check_batch(large[::9] + fruits[::40], ODD_SIZES, tmp / "odd", "odd target sizes")
        check_refusals(gen_dir, tmp / "refusals")
        check_truncations(gen_dir, tmp / "truncations")
        check_mutations(gen_dir, tmp / "mutations")
    if failures:
        print(f"FAIL: {len(failures)} mismatches", file=sys.stderr)
        for m in failures[:50]:
            print("  " + m, file=sys.stderr)
        sys.exit(1)
    print("OK: verger matches Pillow byte for byte")


if __name__ == "__main__":
    main()
