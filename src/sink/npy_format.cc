#include "sink/npy_format.h"

#include <cstring>

#include "core/npy.h"
#include "sink/csv_format.h"

namespace verger {

Result<std::vector<EncodedFile>> NpyFormat::Encode(const FeatureTable& table, const std::string& what) const {
  if (static_cast<int64_t>(table.values.size()) != table.rows() * table.dim)
    return Status::Internal(what + ": value count does not match rows x dim");
  std::vector<EncodedFile> files(2);
  files[0].suffix = ".npy";
  files[0].bytes = EncodeNpy(NpyDtype::kFloat32, {table.rows(), table.dim}, table.values.data());
  std::string keys = "path,label\n";
  for (const auto& p : table.paths) {
    AppendCsvField(keys, p);
    keys += ',';
    AppendCsvField(keys, table.label);
    keys += '\n';
  }
  files[1].suffix = ".keys.csv";
  files[1].bytes.assign(keys.begin(), keys.end());
  return files;
}

Result<FeatureTable> NpyFormat::Decode(const std::vector<std::vector<uint8_t>>& files, const std::string& what) const {
  if (files.size() != 2) return Status::Internal(what + ": npy expects a .npy and a .keys.csv file");
  VERGER_ASSIGN_OR_RETURN(NpyArray arr, DecodeNpy(files[0], what + ".npy"));
  if (arr.dtype != NpyDtype::kFloat32 || arr.shape.size() != 2)
    return Status::Corrupt(what + ".npy: expected a 2-D float32 matrix");
  std::string_view text(reinterpret_cast<const char*>(files[1].data()), files[1].size());
  VERGER_ASSIGN_OR_RETURN(auto records, ParseCsv(text, what + ".keys.csv"));
  if (records.empty() || records[0].size() != 2 || records[0][0] != "path")
    return Status::Corrupt(what + ".keys.csv: header must be path,label");
  if (static_cast<int64_t>(records.size()) - 1 != arr.shape[0])
    return Status::Corrupt(what + ": .keys.csv names " + std::to_string(records.size() - 1) +
                           " rows, .npy holds " + std::to_string(arr.shape[0]));
  FeatureTable table;
  table.dim = arr.shape[1];
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != 2) return Status::Corrupt(what + ".keys.csv: row " + std::to_string(r) + " malformed");
    table.paths.push_back(records[r][0]);
    if (r == 1) table.label = records[r][1];
  }
  table.values.resize(arr.data.size() / 4);
  if (!arr.data.empty()) std::memcpy(table.values.data(), arr.data.data(), arr.data.size());
  return table;
}

}  // namespace verger
