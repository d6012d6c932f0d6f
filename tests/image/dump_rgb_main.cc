// dump_rgb: decodes images with verger's image stage and writes raw RGB, for
// comparison against Pillow by test_pillow_exact.py.
//
// Usage: dump_rgb OUT_DIR [WxH:nearest|bilinear ...] -- FILE...
// For every FILE (index i) writes OUT_DIR/<i>.rgb (the decoded image) and,
// per requested size j, OUT_DIR/<i>_<j>.rgb. Each .rgb file is a 8-byte
// header (little-endian int32 width, height) followed by width*height*3
// bytes. A file that fails to decode gets OUT_DIR/<i>.err with
// "<StatusCode>: <message>". Exit status 0 unless the arguments are bad or
// an output cannot be written. One process for many files keeps the test fast.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/preprocess_types.h"
#include "image/decode.h"
#include "image/resize.h"

namespace {

struct Size {
  int w, h;
  verger::ResizeFilter filter;
};

bool WriteRgb(const std::string& path, const verger::RgbImage& img) {
  std::vector<uint8_t> data(8 + img.pixels.size());
  int32_t wh[2] = {img.width, img.height};
  std::memcpy(data.data(), wh, 8);
  std::memcpy(data.data() + 8, img.pixels.data(), img.pixels.size());
  verger::Status s = verger::WriteFileAtomic(path, data);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return s.ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR [WxH:nearest|bilinear ...] -- FILE...\n", argv[0]);
    return 2;
  }
  std::string out_dir = argv[1];
  std::vector<Size> sizes;
  int i = 2;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    Size s{};
    char filter[16] = {};
    if (std::sscanf(argv[i], "%dx%d:%15s", &s.w, &s.h, filter) != 3) {
      std::fprintf(stderr, "bad size spec '%s'\n", argv[i]);
      return 2;
    }
    auto f = verger::ParseResizeFilter(filter);
    if (!f.ok()) {
      std::fprintf(stderr, "%s\n", f.status().ToString().c_str());
      return 2;
    }
    s.filter = *f;
    sizes.push_back(s);
  }
  if (i == argc) {
    std::fprintf(stderr, "missing '--' before the files\n");
    return 2;
  }
  for (int idx = 0, a = i + 1; a < argc; ++a, ++idx) {
    std::string base = out_dir + "/" + std::to_string(idx);
    auto bytes = verger::ReadFileBytes(argv[a]);
    verger::Status status = bytes.status();
    if (status.ok()) {
      auto img = verger::DecodeImage(*bytes, argv[a]);
      status = img.status();
      if (status.ok()) {
        if (!WriteRgb(base + ".rgb", *img)) return 1;
        for (size_t j = 0; j < sizes.size(); ++j) {
          auto r = verger::ResizeLikePillow(*img, sizes[j].w, sizes[j].h, sizes[j].filter);
          if (!WriteRgb(base + "_" + std::to_string(j) + ".rgb", r)) return 1;
        }
        continue;
      }
    }
    if (!verger::WriteFileAtomic(base + ".err", status.ToString()).ok()) return 1;
  }
  return 0;
}
