#pragma once

#include "sink/table.h"

namespace verger {

// A float32 `.npy` matrix (rows x dim, loadable with numpy.load) plus a
// `.keys.csv` file (`path,label`) naming its rows in order.
class NpyFormat final : public TableFormat {
 public:
  std::string name() const override { return "npy"; }
  std::vector<std::string> suffixes() const override { return {".npy", ".keys.csv"}; }
  Result<std::vector<EncodedFile>> Encode(const FeatureTable& table, const std::string& what) const override;
  Result<FeatureTable> Decode(const std::vector<std::vector<uint8_t>>& files, const std::string& what) const override;
};

}  // namespace verger
