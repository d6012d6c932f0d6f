// Parquet output through DuckDB's C API (Debian 12 has no Apache Arrow).
#pragma once

#include <string>
#include <string_view>

#include "sink/table.h"

namespace verger {

// One zstd-compressed Parquet file per table with the columns
//   path VARCHAR, label VARCHAR, <vector> FLOAT[]
// (Parquet LIST of FLOAT, `dim` values in every row), where <vector> is
// ParquetVectorColumn(table.column_prefix): "features" for extract output,
// "pc" for PCA output. Parquet key-value metadata holds kParquetDimKey,
// kParquetColumnPrefixKey, kParquetLabelKey and then table.metadata in order.
//
// Encode writes through an in-memory DuckDB database and a private temporary
// file (under std::filesystem::temp_directory_path(), removed before
// returning); user data (paths, labels, metadata) never becomes SQL text.
// Each thread opens its database once and reuses it for every later table
// (opening one per table dominated runs that write many small tables).
// Decode reads any Parquet file with columns path, label and one LIST/ARRAY
// of FLOAT column, and returns Corrupt for bytes that are not such a file.
//
// Concurrent calls from any threads are safe: each thread has its own
// database (sink/parquet_duckdb.h, ThreadDatabase). Each call uses one
// DuckDB thread.
class ParquetFormat final : public TableFormat {
 public:
  std::string name() const override { return "parquet"; }
  std::vector<std::string> suffixes() const override { return {".parquet"}; }
  // InvalidArgument for a malformed table (values.size() != rows * dim, text
  // that is not UTF-8, a metadata key that is empty, reserved or repeated).
  Result<std::vector<EncodedFile>> Encode(const FeatureTable& table, const std::string& what) const override;
  // Metadata keys written by Encode itself are consumed, not returned in
  // FeatureTable.metadata. Corrupt for unreadable bytes, NULLs or rows of
  // different lengths; Unsupported for a vector column that is not FLOAT or
  // rows that carry different labels (a FeatureTable has one).
  Result<FeatureTable> Decode(const std::vector<std::vector<uint8_t>>& files, const std::string& what) const override;
};

// Key-value metadata keys Encode writes (values are decimal / raw text).
inline constexpr std::string_view kParquetDimKey = "verger.dim";
inline constexpr std::string_view kParquetColumnPrefixKey = "verger.column_prefix";
inline constexpr std::string_view kParquetLabelKey = "verger.label";

// "dim_" -> "features"; any other prefix loses its trailing '_' ("pc_" -> "pc").
std::string ParquetVectorColumn(std::string_view column_prefix);

}  // namespace verger
