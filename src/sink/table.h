// The unit every output format encodes: the rows of one label inside one
// partition, e.g. features/label=Banana 1/part-00003.<ext> (the folder is
// LabelFolderName(label), engine/partition.h: Hive escaping, spaces kept).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

struct FeatureTable {
  std::string label;               // raw label (not escaped)
  std::string column_prefix = "dim_";  // "dim_" for features, "pc_" for PCA output
  int64_t dim = 0;                 // values per row
  std::vector<std::string> paths;  // one key per row, relative to the input root
  std::vector<float> values;       // rows() x dim, row-major
  // Free-form metadata a format may embed (Parquet key-value metadata).
  std::vector<std::pair<std::string, std::string>> metadata;

  int64_t rows() const { return static_cast<int64_t>(paths.size()); }
};

// One encoded file: `suffix` is appended to the table's base key
// (".csv", ".npy", ".keys.csv", ".parquet").
struct EncodedFile {
  std::string suffix;
  std::vector<uint8_t> bytes;
};

// An output format. Implementations are stateless and thread-safe.
class TableFormat {
 public:
  virtual ~TableFormat() = default;
  virtual std::string name() const = 0;  // "csv", "npy", "parquet"
  // Suffixes of the files Encode produces; the first one identifies the table.
  virtual std::vector<std::string> suffixes() const = 0;
  // Encodes the whole table. `what` names it for errors.
  virtual Result<std::vector<EncodedFile>> Encode(const FeatureTable& table, const std::string& what) const = 0;
  // Parses files produced by Encode (same order as suffixes()). The label is
  // taken from the file where the format stores it, else left empty.
  virtual Result<FeatureTable> Decode(const std::vector<std::vector<uint8_t>>& files,
                                      const std::string& what) const = 0;
};

// "csv", "npy", "parquet" (DuckDB is a required dependency). InvalidArgument names
// the accepted values.
Result<std::unique_ptr<TableFormat>> MakeTableFormat(const std::string& name);
std::vector<std::string> AvailableTableFormats();

}  // namespace verger
