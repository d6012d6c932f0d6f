// PNG decoding with libpng, producing what Pillow 9.4's PngImagePlugin plus
// convert('RGB') produce. libpng only inflates, unfilters and unpacks
// sub-byte samples (png_set_packing, no scaling); Adam7 de-interlacing and
// every sample conversion are ours, mirroring Pillow's unpackers (Unpack.c)
// and converters (Convert.c) so that edge cases (16-bit grey, palette
// indices past the PLTE entries) match too.
//
// Acceptance follows Pillow's push decoder: the image is complete once every
// row has been inflated, whatever follows (or is missing: zlib checksum,
// IDAT CRC, IEND). libpng's progressive reader gives us exactly that view.
#include <png.h>

#include <array>
#include <csetjmp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "image/codecs.h"

namespace verger::image_internal {

namespace {

// Adam7 passes: x0, y0, dx, dy.
constexpr int kAdam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                              {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

// Everything that must survive a longjmp lives here, in the caller's frame;
// RunPng (the setjmp frame) holds no objects with destructors.
struct PngJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string error;  // libpng's message for the fatal error
  int color_type = 0;
  int depth = 0;
  bool interlaced = false;
  int pixel_bytes = 0;        // bytes per pixel after png_set_packing
  int64_t rows_expected = 0;  // rows libpng delivers for a full image (all passes)
  int64_t rows_seen = 0;
  RgbImage image;
  std::vector<uint8_t> raw;  // the whole unpacked image while de-interlacing
  std::array<uint8_t, 256 * 3> palette{};
};

void OnPngError(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  job->error = msg ? msg : "unknown libpng error";
  png_longjmp(png, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}  // Pillow has no warnings here either.

// Converts one unpacked PNG row (one byte per sub-byte sample, 16-bit
// samples big-endian) to RGB8 the way Pillow's mode/rawmode table does.
void ConvertRow(const PngJob& job, const uint8_t* in, uint8_t* out, int width) {
  const int depth = job.depth;
  switch (job.color_type) {
    case PNG_COLOR_TYPE_GRAY:
      if (depth == 16) {
        // Pillow opens 16-bit grey as mode "I"; I -> RGB clips to 0..255.
        for (int x = 0; x < width; ++x, out += 3) {
          int v = (in[2 * x] << 8) | in[2 * x + 1];
          out[0] = out[1] = out[2] = static_cast<uint8_t>(v > 255 ? 255 : v);
        }
      } else {
        // "1" (0/255), "L;2" (x85), "L;4" (x17), "L" (x1).
        const int scale = 255 / ((1 << depth) - 1);
        for (int x = 0; x < width; ++x, out += 3) out[0] = out[1] = out[2] = static_cast<uint8_t>(in[x] * scale);
      }
      break;
    case PNG_COLOR_TYPE_RGB:
      if (depth == 16) {
        for (int x = 0; x < width * 3; ++x) out[x] = in[2 * x];  // "RGB;16B": high byte
      } else {
        std::memcpy(out, in, static_cast<size_t>(width) * 3);
      }
      break;
    case PNG_COLOR_TYPE_PALETTE:
      for (int x = 0; x < width; ++x, out += 3) std::memcpy(out, &job.palette[in[x] * 3], 3);
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: {
      const int step = depth == 16 ? 4 : 2;  // "LA;16B": high byte of L; alpha dropped
      for (int x = 0; x < width; ++x, out += 3) out[0] = out[1] = out[2] = in[x * step];
      break;
    }
    case PNG_COLOR_TYPE_RGB_ALPHA: {
      const int bytes = depth == 16 ? 2 : 1;  // alpha dropped, no compositing
      for (int x = 0; x < width; ++x, out += 3) {
        const uint8_t* p = in + static_cast<size_t>(x) * 4 * bytes;
        out[0] = p[0];
        out[1] = p[bytes];
        out[2] = p[2 * bytes];
      }
      break;
    }
  }
}

int Channels(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;  // grey, palette
  }
}

void OnInfo(png_structp png, png_infop info) {
  auto* job = static_cast<PngJob*>(png_get_progressive_ptr(png));
  // Pillow verifies the CRC of every chunk before the first IDAT (all
  // checked by now) and of none from there on.
  png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
  png_uint_32 width = 0, height = 0;
  int interlace = 0;
  png_get_IHDR(png, info, &width, &height, &job->depth, &job->color_type, &interlace, nullptr, nullptr);
  job->interlaced = interlace != PNG_INTERLACE_NONE;
  if (job->color_type == PNG_COLOR_TYPE_PALETTE) {
    // Pillow's palette starts as a grey ramp; PLTE overwrites the first entries.
    for (int i = 0; i < 256; ++i) job->palette[i * 3] = job->palette[i * 3 + 1] = job->palette[i * 3 + 2] = i;
    png_colorp plte = nullptr;
    int count = 0;
    if (png_get_PLTE(png, info, &plte, &count) == PNG_INFO_PLTE) {
      for (int i = 0; i < count && i < 256; ++i) {
        job->palette[i * 3] = plte[i].red;
        job->palette[i * 3 + 1] = plte[i].green;
        job->palette[i * 3 + 2] = plte[i].blue;
      }
    }
  }
  if (job->depth < 8) png_set_packing(png);
  png_read_update_info(png, info);
  job->pixel_bytes = Channels(job->color_type) * (job->depth == 16 ? 2 : 1);
  job->image.width = static_cast<int>(width);
  job->image.height = static_cast<int>(height);
  job->image.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (!job->interlaced) {
    job->rows_expected = height;
    return;
  }
  // Without png_set_interlace_handling libpng hands out each pass's rows as
  // stored; passes holding no pixels are skipped.
  for (const auto& p : kAdam7) {
    if (width > static_cast<png_uint_32>(p[0]) && height > static_cast<png_uint_32>(p[1])) {
      job->rows_expected += (height - p[1] + p[3] - 1) / p[3];
    }
  }
  job->raw.assign(static_cast<size_t>(width) * height * job->pixel_bytes, 0);
}

void OnRow(png_structp png, png_bytep row, png_uint_32 row_num, int pass) {
  auto* job = static_cast<PngJob*>(png_get_progressive_ptr(png));
  if (row == nullptr) return;
  const int width = job->image.width;
  if (!job->interlaced) {
    if (row_num >= static_cast<png_uint_32>(job->image.height)) return;
    ++job->rows_seen;
    ConvertRow(*job, row, job->image.pixels.data() + static_cast<size_t>(row_num) * width * 3, width);
    return;
  }
  if (pass < 0 || pass > 6) return;
  const auto& p = kAdam7[pass];
  const int64_t y = p[1] + static_cast<int64_t>(row_num) * p[3];
  if (y >= job->image.height) return;
  ++job->rows_seen;
  const size_t bpp = job->pixel_bytes;
  uint8_t* dst = job->raw.data() + static_cast<size_t>(y) * width * bpp;
  for (int x = p[0], i = 0; x < width; x += p[2], ++i) std::memcpy(dst + x * bpp, row + i * bpp, bpp);
}

// Pushes the whole buffer through libpng's progressive reader. Returns false
// if libpng failed (job->error set); rows seen so far stay in `job`.
bool RunPng(PngJob* job, std::span<const uint8_t> data) {
  if (setjmp(png_jmpbuf(job->png))) return false;
  png_structp png = job->png;
  png_set_progressive_read_fn(png, job, OnInfo, OnRow, nullptr);
  // Our max_pixels check (done on the raw IHDR) is the only size limit.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  // Chunks before the first IDAT, ancillary ones included, must have good CRCs.
  png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
  png_process_data(png, job->info, const_cast<png_bytep>(data.data()), data.size());
  return true;
}

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

Result<RgbImage> DecodePng(std::span<const uint8_t> bytes, const std::string& name,
                           const DecodeOptions& options) {
  // Check the declared size from the raw IHDR before libpng allocates
  // anything (libpng itself would also reject a zero dimension, less clearly).
  if (bytes.size() >= 24 && std::memcmp(bytes.data() + 12, "IHDR", 4) == 0) {
    VERGER_RETURN_IF_ERROR(
        CheckDimensions(ReadBe32(bytes.data() + 16), ReadBe32(bytes.data() + 20), name, "PNG", options));
  }
  PngJob job;
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, OnPngError, OnPngWarning);
  if (job.png) job.info = png_create_info_struct(job.png);
  if (!job.png || !job.info) {
    png_destroy_read_struct(job.png ? &job.png : nullptr, nullptr, nullptr);
    return Status::ResourceExhausted(name + ": cannot allocate a PNG decoder");
  }
  const bool ok = RunPng(&job, bytes);
  png_destroy_read_struct(&job.png, &job.info, nullptr);
  if (job.rows_expected > 0 && job.rows_seen >= job.rows_expected) {
    // Complete: errors after the last row do not matter, as in Pillow.
    if (job.interlaced) {
      const size_t in_stride = static_cast<size_t>(job.image.width) * job.pixel_bytes;
      const size_t out_stride = static_cast<size_t>(job.image.width) * 3;
      for (int y = 0; y < job.image.height; ++y) {
        ConvertRow(job, job.raw.data() + y * in_stride, job.image.pixels.data() + y * out_stride, job.image.width);
      }
    }
    return std::move(job.image);
  }
  if (!ok) return Status::Corrupt(name + ": corrupt PNG: " + job.error);
  if (job.rows_expected == 0) return Status::Corrupt(name + ": corrupt PNG: image file is truncated (no image data)");
  return Status::Corrupt(name + ": corrupt PNG: image file is truncated (" + std::to_string(job.rows_seen) + " of " +
                         std::to_string(job.rows_expected) + " rows present)");
}

}  // namespace verger::image_internal
