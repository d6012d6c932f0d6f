#include "sink/csv_format.h"
#include "sink/npy_format.h"
#ifdef VERGER_HAVE_DUCKDB
#include "sink/parquet_format.h"
#endif

namespace verger {

std::vector<std::string> AvailableTableFormats() {
  std::vector<std::string> names = {"csv", "npy"};
#ifdef VERGER_HAVE_DUCKDB
  names.push_back("parquet");
#endif
  return names;
}

Result<std::unique_ptr<TableFormat>> MakeTableFormat(const std::string& name) {
  if (name == "csv") return std::unique_ptr<TableFormat>(std::make_unique<CsvFormat>());
  if (name == "npy") return std::unique_ptr<TableFormat>(std::make_unique<NpyFormat>());
#ifdef VERGER_HAVE_DUCKDB
  if (name == "parquet") return std::unique_ptr<TableFormat>(std::make_unique<ParquetFormat>());
#endif
  std::string known;
  for (const auto& n : AvailableTableFormats()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown output format '" + name + "' (expected one of: " + known + ")");
}

}  // namespace verger
