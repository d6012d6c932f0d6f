#include "image/decode.h"

#include <cstring>

#include "image/codecs.h"

namespace verger {

namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

bool StartsWith(std::span<const uint8_t> bytes, const uint8_t* prefix, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), prefix, n) == 0;
}

}  // namespace

Result<RgbImage> DecodeImage(std::span<const uint8_t> bytes, const std::string& name,
                             const DecodeOptions& options) {
  // Same acceptance tests as Pillow's JpegImagePlugin._accept / PngImagePlugin._accept.
  static constexpr uint8_t kJpegPrefix[3] = {0xFF, 0xD8, 0xFF};
  if (StartsWith(bytes, kJpegPrefix, 3)) return image_internal::DecodeJpeg(bytes, name, options);
  if (StartsWith(bytes, kPngSignature, 8)) return image_internal::DecodePng(bytes, name, options);
  if (StartsWith(bytes, kJpegPrefix, 2) && bytes.size() < 3) {
    return Status::Corrupt(name + ": truncated JPEG (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (!bytes.empty() && bytes.size() < 8 && StartsWith(bytes, kPngSignature, bytes.size())) {
    return Status::Corrupt(name + ": truncated PNG signature (" + std::to_string(bytes.size()) + " bytes)");
  }
  return Status::Unsupported(name + ": not a JPEG or PNG image: " +
                             image_internal::DescribeUnknownBytes(bytes));
}

namespace image_internal {

Status CheckDimensions(int64_t width, int64_t height, const std::string& name, const char* format,
                       const DecodeOptions& options) {
  if (width <= 0 || height <= 0) {
    return Status::InvalidArgument(name + ": " + format + " header declares an empty image (" +
                                   std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  // PNG dimensions reach 2^32 - 1: width * height can overflow int64, so
  // compare by division (found by fuzz/decode_fuzz).
  if (width > options.max_pixels / height) {
    const bool exact = width <= 0xFFFFFFFFLL && height <= 0xFFFFFFFFLL;  // then the product fits uint64
    const std::string pixels =
        exact ? std::to_string(static_cast<uint64_t>(width) * static_cast<uint64_t>(height)) : "too many";
    return Status::ResourceExhausted(name + ": " + format + " image is " + std::to_string(width) + "x" +
                                     std::to_string(height) + " = " + pixels + " pixels, above the limit of " +
                                     std::to_string(options.max_pixels) + " pixels (possible decompression bomb)");
  }
  return Status::OK();
}

}  // namespace image_internal
}  // namespace verger
