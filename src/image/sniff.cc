// Describes bytes that are not a JPEG or PNG, so the error says what the
// user actually fed us (a GIF, an HTML error page, an empty object...).
#include <cstdio>
#include <cstring>
#include <string>

#include "image/codecs.h"

namespace verger::image_internal {

namespace {

bool Has(std::span<const uint8_t> b, size_t offset, const char* magic) {
  size_t n = std::strlen(magic);
  return b.size() >= offset + n && std::memcmp(b.data() + offset, magic, n) == 0;
}

// Printable ASCII or UTF-8 continuation/lead bytes plus common whitespace.
bool LooksLikeText(std::span<const uint8_t> b) {
  size_t n = b.size() < 512 ? b.size() : 512;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = b[i];
    if (c == '\n' || c == '\r' || c == '\t' || c == '\f') continue;
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

std::string DescribeUnknownBytes(std::span<const uint8_t> b) {
  if (b.empty()) return "empty file (0 bytes)";
  if (Has(b, 0, "GIF87a") || Has(b, 0, "GIF89a")) return "GIF image";
  if (Has(b, 0, "BM")) return "BMP image";
  if (Has(b, 0, "RIFF") && Has(b, 8, "WEBP")) return "WebP image";
  if (Has(b, 0, "II*\0") || Has(b, 0, "MM\0*")) return "TIFF image";
  if (Has(b, 4, "ftypheic") || Has(b, 4, "ftypheix") || Has(b, 4, "ftypmif1")) return "HEIF image";
  if (Has(b, 4, "ftypavif")) return "AVIF image";
  if (Has(b, 0, "\xFF\x4F\xFF\x51") || Has(b, 4, "jP  ")) return "JPEG 2000 image";
  if (Has(b, 0, "%PDF")) return "PDF document";
  if (Has(b, 0, "\x1F\x8B")) return "gzip data";
  if (Has(b, 0, "PK\x03\x04")) return "zip archive";
  if (LooksLikeText(b)) {
    std::string head(reinterpret_cast<const char*>(b.data()), b.size() < 24 ? b.size() : 24);
    for (char& c : head) {
      if (c == '\n' || c == '\r' || c == '\t' || c == '\f') c = ' ';
    }
    return "text file (" + std::to_string(b.size()) + " bytes, starts with \"" + head + "\")";
  }
  std::string hex;
  size_t n = b.size() < 8 ? b.size() : 8;
  for (size_t i = 0; i < n; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%s%02X", i ? " " : "", b[i]);
    hex += buf;
  }
  return "unrecognised binary data (" + std::to_string(b.size()) + " bytes, first bytes " + hex + ")";
}

}  // namespace verger::image_internal
