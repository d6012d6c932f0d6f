#include "sink/csv_format.h"
#include "sink/npy_format.h"
#include "sink/parquet_format.h"

namespace verger {

std::vector<std::string> AvailableTableFormats() {
  return {"csv", "npy", "parquet"};
}

Result<std::unique_ptr<TableFormat>> MakeTableFormat(const std::string& name) {
  if (name == "csv") return std::unique_ptr<TableFormat>(std::make_unique<CsvFormat>());
  if (name == "npy") return std::unique_ptr<TableFormat>(std::make_unique<NpyFormat>());
  if (name == "parquet") return std::unique_ptr<TableFormat>(std::make_unique<ParquetFormat>());
  std::string known;
  for (const auto& n : AvailableTableFormats()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown output format '" + name + "' (expected one of: " + known + ")");
}

}  // namespace verger
