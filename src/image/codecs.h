// Internal to src/image: the per-format decoders behind DecodeImage and the
// helpers they share. Not part of the public API.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "image/decode.h"

namespace verger::image_internal {

// `bytes` must start with the JPEG SOI + marker prefix (FF D8 FF).
Result<RgbImage> DecodeJpeg(std::span<const uint8_t> bytes, const std::string& name,
                            const DecodeOptions& options);

// `bytes` must start with the 8-byte PNG signature.
Result<RgbImage> DecodePng(std::span<const uint8_t> bytes, const std::string& name,
                           const DecodeOptions& options);

// Shared header checks: InvalidArgument for a zero dimension,
// ResourceExhausted above options.max_pixels.
Status CheckDimensions(int64_t width, int64_t height, const std::string& name, const char* format,
                       const DecodeOptions& options);

// A short human description of bytes that are neither JPEG nor PNG, e.g.
// "empty file (0 bytes)", "GIF image", "text file (starts with \"hello\")".
std::string DescribeUnknownBytes(std::span<const uint8_t> bytes);

}  // namespace verger::image_internal
