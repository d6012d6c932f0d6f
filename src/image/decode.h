// Image decoding: JPEG or PNG bytes to RGB8, pixel-identical to Pillow 9.4's
// Image.open(...).convert('RGB') (the way Keras' load_img reads images).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

// An 8-bit RGB image: `pixels` holds width*height*3 bytes, interleaved R,G,B,
// row-major, no row padding. Owns its pixels; a plain value type.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// Pillow's DecompressionBombError threshold (2 * Image.MAX_IMAGE_PIXELS): the
// one default for every --max-pixels / max_pixels in the CLI and the bindings.
inline constexpr int64_t kDefaultMaxPixels = 178956970;

struct DecodeOptions {
  // Images with more than this many pixels (width*height) are refused from
  // the header, before any pixel memory is allocated.
  int64_t max_pixels = kDefaultMaxPixels;
};

// Decodes a JPEG or PNG image. The format is sniffed from the magic bytes,
// never from `name`, which only labels error messages (pass the key or path).
//
// Conversions follow Pillow's convert('RGB'): grey replicated; grey+alpha and
// RGBA drop alpha (no compositing); palette images (tRNS ignored) through the
// palette; 1/2/4-bit grey scaled to 0..255; 16-bit colour keeps the high
// byte; 16-bit grey (Pillow mode "I") is clipped to 0..255; CMYK JPEGs are
// read with Adobe (inverted) polarity and converted with Pillow's cmyk2rgb.
// Interlaced PNGs and progressive JPEGs are supported; EXIF orientation and
// colour profiles are ignored, as in Pillow.
//
// Errors (the message names `name` and the cause):
//   Corrupt            truncated or malformed data (libjpeg/libpng message),
//                      including libjpeg's "Premature end of JPEG file"
//   Unsupported        not JPEG/PNG (the message says what the bytes look
//                      like), or a JPEG layout Pillow cannot read either
//   ResourceExhausted  width*height > options.max_pixels (checked before
//                      allocating)
//   InvalidArgument    a header with zero width or height
//
// Thread safety: reentrant; concurrent calls on different inputs are safe.
// Never aborts or exits the process on bad input.
Result<RgbImage> DecodeImage(std::span<const uint8_t> bytes, const std::string& name,
                             const DecodeOptions& options = {});

}  // namespace verger
