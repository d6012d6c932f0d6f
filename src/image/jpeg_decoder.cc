// JPEG decoding with libjpeg-turbo, configured the way Pillow 9.4 drives it
// (JpegDecode.c): default ISLOW DCT and fancy upsampling, output colour space
// picked from the component count (1 grey, 3 RGB, 4 CMYK read as Adobe
// inverted "CMYK;I"). Errors longjmp back to us; nothing ever exits.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

// jpeglib.h needs size_t/FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "image/codecs.h"

namespace verger::image_internal {

namespace {

struct JpegErrorMgr {
  jpeg_error_mgr pub;  // must be first: libjpeg hands us a jpeg_error_mgr*
  jmp_buf jump;
  int code = 0;
  bool scanlines_done = false;  // from then on running out of data is fine
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void FailJump(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  err->code = cinfo->err->msg_code;
  longjmp(err->jump, 1);
}

void OnError(j_common_ptr cinfo) { FailJump(cinfo); }

// Pillow ignores libjpeg warnings (e.g. "extraneous bytes before marker") but
// refuses files truncated before the last scanline ("image file is
// truncated"); libjpeg reports truncation only as the warning JWRN_JPEG_EOF,
// so that one becomes fatal until all scanlines are read.
void OnMessage(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegErrorMgr*>(cinfo->err);
  if (level == -1 && err->pub.msg_code == JWRN_JPEG_EOF && !err->scanlines_done) FailJump(cinfo);
}

void OnOutput(j_common_ptr) {}

// Everything that must survive a longjmp lives here, in the caller's frame;
// RunJpeg (the setjmp frame) holds no objects with destructors.
struct JpegJob {
  jpeg_decompress_struct cinfo;
  JpegErrorMgr err;
  bool created = false;
  const std::string* name = nullptr;
  const DecodeOptions* options = nullptr;
  RgbImage image;
  std::vector<uint8_t> row;  // one scanline for grey/CMYK output
  Status status;             // a non-libjpeg failure found between calls
};

inline uint8_t Clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

// Pillow's MULDIV255: a*b/255 rounded, in integers.
inline int MulDiv255(int a, int b) {
  int tmp = a * b + 128;
  return ((tmp >> 8) + tmp) >> 8;
}

// Pillow's "CMYK;I" unpacker (invert every byte) followed by cmyk2rgb.
void CmykInvertedRowToRgb(const uint8_t* in, uint8_t* out, int width) {
  for (int x = 0; x < width; ++x, in += 4, out += 3) {
    int nk = in[3];  // 255 - (255 - K)
    out[0] = Clip8(nk - MulDiv255(255 - in[0], nk));
    out[1] = Clip8(nk - MulDiv255(255 - in[1], nk));
    out[2] = Clip8(nk - MulDiv255(255 - in[2], nk));
  }
}

// Returns false if libjpeg failed (err.code/message set). Returns true with
// job->status set if we refused the header ourselves.
bool RunJpeg(JpegJob* job, const uint8_t* data, size_t size) {
  jpeg_decompress_struct* cinfo = &job->cinfo;
  std::memset(cinfo, 0, sizeof *cinfo);
  cinfo->err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = OnError;
  job->err.pub.emit_message = OnMessage;
  job->err.pub.output_message = OnOutput;
  if (setjmp(job->err.jump)) return false;

  job->created = true;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);

  const int width = static_cast<int>(cinfo->image_width);
  const int height = static_cast<int>(cinfo->image_height);
  job->status = CheckDimensions(cinfo->image_width, cinfo->image_height, *job->name, "JPEG", *job->options);
  if (!job->status.ok()) return true;
  switch (cinfo->num_components) {
    case 1: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo->out_color_space = JCS_RGB; break;
    case 4: cinfo->out_color_space = JCS_CMYK; break;
    default:
      job->status = Status::Unsupported(*job->name + ": JPEG with " + std::to_string(cinfo->num_components) +
                                        " components (only 1, 3 or 4 are readable)");
      return true;
  }

  jpeg_start_decompress(cinfo);
  const int comps = cinfo->output_components;
  job->image.width = width;
  job->image.height = height;
  job->image.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (comps != 3) job->row.resize(static_cast<size_t>(width) * comps);
  uint8_t* const base = job->image.pixels.data();
  const size_t stride = static_cast<size_t>(width) * 3;
  while (cinfo->output_scanline < cinfo->output_height) {
    const size_t y = cinfo->output_scanline;
    uint8_t* out = base + y * stride;
    if (comps == 3) {
      JSAMPROW rows[1] = {out};
      jpeg_read_scanlines(cinfo, rows, 1);
      continue;
    }
    JSAMPROW rows[1] = {job->row.data()};
    jpeg_read_scanlines(cinfo, rows, 1);
    const uint8_t* in = job->row.data();
    if (comps == 1) {
      for (int x = 0; x < width; ++x, out += 3) out[0] = out[1] = out[2] = in[x];
    } else {
      CmykInvertedRowToRgb(in, out, width);
    }
  }
  // Pillow also finishes decompression: errors up to the EOI marker (a
  // corrupt marker after the scan, say) still fail the image, but running
  // out of data there does not (its suspending source just stops; ours
  // inserts a fake EOI with a warning we now ignore).
  job->err.scanlines_done = true;
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace

Result<RgbImage> DecodeJpeg(std::span<const uint8_t> bytes, const std::string& name,
                            const DecodeOptions& options) {
  JpegJob job;
  job.name = &name;
  job.options = &options;
  const bool ran = RunJpeg(&job, bytes.data(), bytes.size());
  if (job.created) jpeg_destroy_decompress(&job.cinfo);
  if (!ran) {
    std::string msg = name + ": ";
    switch (job.err.code) {
      case JERR_EMPTY_IMAGE:
        return Status::InvalidArgument(msg + "JPEG header declares an empty image (" + job.err.message + ")");
      case JERR_BAD_PRECISION:
      case JERR_NOT_COMPILED:
      case JERR_CONVERSION_NOTIMPL:
        return Status::Unsupported(msg + "unsupported JPEG: " + job.err.message);
      case JERR_OUT_OF_MEMORY:
        return Status::ResourceExhausted(msg + "JPEG decoder: " + job.err.message);
      default:
        return Status::Corrupt(msg + "corrupt JPEG: " + job.err.message);
    }
  }
  if (!job.status.ok()) return job.status;
  return std::move(job.image);
}

}  // namespace verger::image_internal
