#pragma once

#include "sink/table.h"

namespace verger {

// `path,label,<prefix>0,...` with RFC 4180 quoting for text and floats in
// shortest round-trip form (std::to_chars): parsing a value gives back the
// exact float32.
class CsvFormat final : public TableFormat {
 public:
  std::string name() const override { return "csv"; }
  std::vector<std::string> suffixes() const override { return {".csv"}; }
  Result<std::vector<EncodedFile>> Encode(const FeatureTable& table, const std::string& what) const override;
  Result<FeatureTable> Decode(const std::vector<std::vector<uint8_t>>& files, const std::string& what) const override;
};

// RFC 4180 helpers shared with errors.csv and the npy keys file.
void AppendCsvField(std::string& out, std::string_view field);
// Splits a CSV document into records of fields; Corrupt on an unterminated quote.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, const std::string& what);

}  // namespace verger
