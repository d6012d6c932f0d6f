#include "core/npy.h"

#include <cstring>
#include <regex>

namespace verger {

int64_t NpyArray::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

static size_t ElementSize(NpyDtype d) { return d == NpyDtype::kFloat32 ? 4 : 8; }

std::vector<uint8_t> EncodeNpy(NpyDtype dtype, const std::vector<int64_t>& shape, const void* data) {
  std::string header = "{'descr': '";
  header += dtype == NpyDtype::kFloat32 ? "<f4" : "<f8";
  header += "', 'fortran_order': False, 'shape': (";
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) header += ",";
    if (i + 1 < shape.size()) header += " ";
    count *= shape[i];
  }
  header += "), }";
  // Magic(6) + version(2) + len(2) + header + '\n' padded to a multiple of 64.
  size_t total = 10 + header.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header += '\n';

  std::vector<uint8_t> out;
  const size_t payload = static_cast<size_t>(count) * ElementSize(dtype);
  out.reserve(10 + header.size() + payload);
  const uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.insert(out.end(), magic, magic + 8);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + payload);
  return out;
}

Result<NpyArray> DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return Status::Corrupt(what + ": not a .npy file (bad magic)");
  const uint8_t major = bytes[6];
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = bytes[8] | (bytes[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::Corrupt(what + ": truncated .npy header");
    header_len = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (static_cast<size_t>(bytes[11]) << 24);
    offset = 12;
  } else {
    return Status::Unsupported(what + ": .npy version " + std::to_string(major) + " not supported");
  }
  if (offset + header_len > bytes.size()) return Status::Corrupt(what + ": truncated .npy header");
  std::string header(bytes.begin() + offset, bytes.begin() + offset + header_len);

  NpyArray arr;
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']+)')")))
    return Status::Corrupt(what + ": .npy header has no descr");
  if (m[1] == "<f4") arr.dtype = NpyDtype::kFloat32;
  else if (m[1] == "<f8") arr.dtype = NpyDtype::kFloat64;
  else return Status::Unsupported(what + ": .npy dtype " + m[1].str() + " (expected <f4 or <f8)");
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)")))
    return Status::Unsupported(what + ": Fortran-order .npy not supported");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    return Status::Corrupt(what + ": .npy header has no shape");
  std::string dims = m[1];
  std::regex num(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it)
    arr.shape.push_back(std::stoll(it->str()));
  const size_t payload = static_cast<size_t>(arr.element_count()) * ElementSize(arr.dtype);
  const size_t start = offset + header_len;
  if (bytes.size() - start != payload)
    return Status::Corrupt(what + ": .npy payload is " + std::to_string(bytes.size() - start) +
                           " bytes, shape needs " + std::to_string(payload));
  arr.data.assign(bytes.begin() + start, bytes.end());
  return arr;
}

}  // namespace verger
