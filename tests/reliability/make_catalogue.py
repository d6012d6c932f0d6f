"""Builds the catalogue of hostile inputs into a folder: each case is one file (or listing entry) and the
class of outcome verger must report for it. Used by test_bad_input_catalogue.py; run by hand to look:
    /usr/bin/python3 tests/reliability/make_catalogue.py /tmp/catalogue
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

# key -> (expected, description). expected is "ok" or a regex the errors.csv reason must match (class
# of failure; the message also carries the decoder's own words).
CASES = {}


def _write(root, key, data, expected, what):
    path = os.path.join(root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    CASES[key] = (expected, what)


def _jpeg(img, **kw):
    b = io.BytesIO()
    img.save(b, "JPEG", quality=90, **kw)
    return b.getvalue()


def _png(img, **kw):
    b = io.BytesIO()
    img.save(b, "PNG", **kw)
    return b.getvalue()


def _png_chunks(width, height, bit_depth, color_type, raw_rows):
    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw_rows)) + chunk(b"IEND", b"")


def _sof_offset(jpeg):
    """Offset of the SOF0/SOF2 segment's height field."""
    i = 2
    while i < len(jpeg):
        assert jpeg[i] == 0xFF, "not at a marker"
        marker = jpeg[i + 1]
        length = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return i + 5  # FF Cx len(2) precision(1) height(2) width(2)
        i += 2 + length
    raise AssertionError("no SOF")


def _dht_offset(jpeg):
    i = 2
    while i < len(jpeg):
        marker = jpeg[i + 1]
        length = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if marker == 0xC4:
            return i + 5  # FF C4 len(2) Tc/Th(1), then 16 code counts
        i += 2 + length
    raise AssertionError("no DHT")


def make(root, good_jpeg_path):
    CASES.clear()
    with open(good_jpeg_path, "rb") as fh:
        good = fh.read()
    rgb = Image.open(io.BytesIO(good)).convert("RGB")

    truncated = r"^corrupt JPEG: .*(Premature end of JPEG file|image file is truncated)"
    # Cut in the header, just after the scan starts, in the middle and near the end.
    sos = good.index(b"\xff\xda")
    for name, cut in [("in_header", 120), ("after_sos", sos + 20), ("half", len(good) // 2), ("near_end", len(good) - 10)]:
        _write(root, f"truncated/cut_{name}.jpg", good[:cut], truncated, f"JPEG cut at byte {cut} of {len(good)}")

    bad_dht = bytearray(good)
    o = _dht_offset(good)
    bad_dht[o:o + 16] = b"\xff" * 16  # code counts summing past 256
    _write(root, "huffman/bogus_table.jpg", bytes(bad_dht), r"^corrupt JPEG: Bogus Huffman table definition",
           "JPEG whose Huffman table definition is corrupt")

    _write(root, "empty/zero_bytes.jpg", b"", r"^not a JPEG or PNG image: empty file", "zero-byte file")
    _write(root, "text/notes.jpg", b"these are my holiday notes, not a picture\n",
           r"^not a JPEG or PNG image: .*text", "text file named .jpg")

    png = bytearray(_png(rgb))
    png[29] ^= 0xFF  # last byte of the IHDR CRC (8 signature + 4 len + 4 tag + 13 data = 29)
    _write(root, "crc/bad_crc.png", bytes(png), r"^corrupt PNG: .*CRC", "PNG whose IHDR CRC is wrong")

    _write(root, "tiny/one_pixel.png", _png(Image.new("RGB", (1, 1), (200, 10, 10))), "ok", "1x1 PNG")
    _write(root, "tiny/one_pixel.jpg", _jpeg(Image.new("RGB", (1, 1), (10, 200, 10))), "ok", "1x1 JPEG")
    _write(root, "modes/grey.jpg", _jpeg(rgb.convert("L")), "ok", "greyscale JPEG")
    _write(root, "modes/cmyk.jpg", _jpeg(rgb.convert("CMYK")), "ok", "CMYK JPEG (Adobe)")
    _write(root, "modes/rgba.png", _png(rgb.convert("RGBA")), "ok", "RGBA PNG")
    grey16 = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(">u2")
    _write(root, "modes/grey16.png", _png_chunks(rgb.width, rgb.height, 16, 0,
                                                   b"".join(b"\0" + r.tobytes() for r in grey16)),
           "ok", "16-bit greyscale PNG")
    rgb16 = (np.asarray(rgb, dtype=np.uint16) * 257).astype(">u2")
    _write(root, "modes/rgb16.png", _png_chunks(rgb.width, rgb.height, 16, 2,
                                                  b"".join(b"\0" + r.tobytes() for r in rgb16)),
           "ok", "16-bit RGB PNG")

    bomb = bytearray(good)
    o = _sof_offset(good)
    bomb[o:o + 4] = struct.pack(">HH", 30000, 30000)
    _write(root, "bomb/30000x30000.jpg", bytes(bomb),
           r"^JPEG image is 30000x30000 = 900000000 pixels, above the limit of \d+ pixels",
           "JPEG header claiming 30000 x 30000 (decompression bomb)")
    zero_h = bytearray(good)
    zero_h[o:o + 2] = struct.pack(">H", 0)
    _write(root, "zero_height/h0.jpg", bytes(zero_h), r"JPEG header declares an empty image",
           "JPEG header with height 0")
    _write(root, "zero_height/h0.png", _png_chunks(5, 0, 8, 2, b""), r"^PNG header declares an empty image \(5x0\)",
           "PNG header with height 0")

    _write(root, "Ünïcødé 名前 ☃/ça va ✓.jpg", good, "ok", "unicode folder and file names")
    _write(root, "with  spaces /a b  c .jpg", good, "ok", "spaces in names (doubled, trailing)")

    # A folder symlink pointing at its own ancestor, and a file symlink pointing at itself.
    os.makedirs(os.path.join(root, "loop"), exist_ok=True)
    os.symlink("..", os.path.join(root, "loop", "up"))
    CASES["loop/up"] = (r"^symlink loop: points at its own ancestor", "folder symlink to its ancestor")
    os.symlink("self.jpg", os.path.join(root, "loop", "self.jpg"))
    CASES["loop/self.jpg"] = (r"^cannot stat: Too many levels of symbolic links", "file symlink to itself")

    _write(root, "perm/locked.jpg", good, r"Permission denied", "file with mode 000 (read as an unprivileged user)")
    os.chmod(os.path.join(root, "perm", "locked.jpg"), 0)

    os.makedirs(os.path.join(root, "dirs", "folder.jpg"))
    CASES["dirs/folder.jpg"] = (r"^is a directory, not a file", "directory named like an image")
    return dict(CASES)


if __name__ == "__main__":
    shared = os.environ.get("VERGER_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../shared"))
    good = os.path.join(shared, "datasets/fruits-360-10/Training/Kiwi 1")
    cases = make(sys.argv[1], os.path.join(good, sorted(os.listdir(good))[0]))
    for k, (e, w) in sorted(cases.items()):
        print(f"{k}\t{e}\t{w}")
