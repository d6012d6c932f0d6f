#include "sink/parquet_format.h"

#include <duckdb.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <utility>

#include "core/file_util.h"
#include "core/utf8.h"
#include "sink/parquet_duckdb.h"

namespace verger {
namespace {

namespace fs = std::filesystem;
using namespace parquet_internal;  // NOLINT: this file is their only user

// DuckDB's ARRAY limit; CNN feature vectors stay far below it.
constexpr int64_t kMaxDim = 100000;
// Rows per row group: about 64 MiB of floats, so a reader that loads a whole
// group stays bounded; DuckDB's own default (122880 rows) would put 600 MiB
// of 1280-float rows in one group.
constexpr int64_t kRowGroupBytes = int64_t{64} << 20;
constexpr int64_t kMaxRowGroupRows = 122880;

// ---- text checks -----------------------------------------------------------

// Printable form of user text for error messages.
std::string Quoted(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "'";
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool IsReservedKey(std::string_view key) {
  return key == kParquetDimKey || key == kParquetColumnPrefixKey || key == kParquetLabelKey;
}

std::string_view VectorText(duckdb_string_t* s) {
  return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
}

// ---- encode ----------------------------------------------------------------

Status CheckTable(const FeatureTable& table, const std::string& what) {
  if (table.dim < 0 || table.dim > kMaxDim) {
    return Status::InvalidArgument(what + ": Parquet rows hold 0.." + std::to_string(kMaxDim) + " values, got dim " +
                                   std::to_string(table.dim));
  }
  if (static_cast<int64_t>(table.values.size()) != table.rows() * table.dim) {
    return Status::InvalidArgument(what + ": " + std::to_string(table.values.size()) + " values for " +
                                   std::to_string(table.rows()) + " rows of " + std::to_string(table.dim));
  }
  std::string column = ParquetVectorColumn(table.column_prefix);
  if (!IsIdentifier(column) || column == "path" || column == "label") {
    return Status::InvalidArgument(what + ": column prefix " + Quoted(table.column_prefix) +
                                   " does not make a Parquet column name");
  }
  if (!IsUtf8(table.label)) return Status::InvalidArgument(what + ": label " + Quoted(table.label) + " is not UTF-8");
  for (int64_t r = 0; r < table.rows(); ++r) {
    if (!IsUtf8(table.paths[r])) {
      return Status::InvalidArgument(what + ": path " + Quoted(table.paths[r]) + " (row " + std::to_string(r) +
                                     ") is not UTF-8");
    }
  }
  for (size_t i = 0; i < table.metadata.size(); ++i) {
    const std::string& key = table.metadata[i].first;
    if (key.empty() || key.find('\0') != std::string::npos || !IsUtf8(key) || IsReservedKey(key)) {
      return Status::InvalidArgument(what + ": metadata key " + Quoted(key) + " is empty, not UTF-8 or reserved");
    }
    for (size_t j = 0; j < i; ++j) {
      if (table.metadata[j].first == key) {
        return Status::InvalidArgument(what + ": metadata key " + Quoted(key) + " appears twice");
      }
    }
  }
  return Status::OK();
}

// Appends every row to table `t` in DuckDB vector-sized chunks; the floats
// are copied straight into the ARRAY child vector.
Status AppendRows(duckdb_connection conn, const FeatureTable& table, const std::string& what) {
  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(conn, nullptr, "t", &appender) == DuckDBError) {
    std::string e = appender ? duckdb_appender_error(appender) : "unknown error";
    duckdb_appender_destroy(&appender);
    return Status::Internal(what + ": DuckDB cannot create an appender: " + e);
  }
  LogicalType varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  LogicalType real(duckdb_create_logical_type(DUCKDB_TYPE_FLOAT));
  LogicalType vector(table.dim > 0 ? duckdb_create_array_type(real.type, table.dim)
                                   : duckdb_create_list_type(real.type));
  duckdb_logical_type types[] = {varchar.type, varchar.type, vector.type};
  const int64_t capacity = static_cast<int64_t>(duckdb_vector_size());
  Status status;
  for (int64_t begin = 0; begin < table.rows() && status.ok(); begin += capacity) {
    const int64_t n = std::min(capacity, table.rows() - begin);
    DataChunk chunk(duckdb_create_data_chunk(types, 3));
    duckdb_vector paths = duckdb_data_chunk_get_vector(chunk.chunk, 0);
    duckdb_vector labels = duckdb_data_chunk_get_vector(chunk.chunk, 1);
    duckdb_vector values = duckdb_data_chunk_get_vector(chunk.chunk, 2);
    for (int64_t i = 0; i < n; ++i) {
      const std::string& path = table.paths[begin + i];
      duckdb_vector_assign_string_element_len(paths, i, path.data(), path.size());
      duckdb_vector_assign_string_element_len(labels, i, table.label.data(), table.label.size());
    }
    if (table.dim > 0) {
      auto* dst = static_cast<float*>(duckdb_vector_get_data(duckdb_array_vector_get_child(values)));
      std::memcpy(dst, table.values.data() + begin * table.dim, sizeof(float) * n * table.dim);
    } else {
      auto* entries = static_cast<duckdb_list_entry*>(duckdb_vector_get_data(values));
      for (int64_t i = 0; i < n; ++i) entries[i] = {0, 0};
    }
    duckdb_data_chunk_set_size(chunk.chunk, n);
    if (duckdb_append_data_chunk(appender, chunk.chunk) == DuckDBError) {
      status = Status::Internal(what + ": DuckDB rejected rows " + std::to_string(begin) + ".." +
                                std::to_string(begin + n - 1) + ": " + duckdb_appender_error(appender));
    }
  }
  if (status.ok() && duckdb_appender_close(appender) == DuckDBError) {
    status = Status::Internal(what + ": DuckDB appender: " + duckdb_appender_error(appender));
  }
  duckdb_appender_destroy(&appender);
  return status;
}

// The KV_METADATA argument: a STRUCT value whose field names are the keys
// and whose BLOB fields are the values, bound as a parameter.
Status BindMetadata(duckdb_prepared_statement stmt, idx_t index, const FeatureTable& table, const std::string& what) {
  std::vector<std::pair<std::string, std::string>> kv = {
      {std::string(kParquetDimKey), std::to_string(table.dim)},
      {std::string(kParquetColumnPrefixKey), table.column_prefix},
      {std::string(kParquetLabelKey), table.label}};
  kv.insert(kv.end(), table.metadata.begin(), table.metadata.end());
  LogicalType blob(duckdb_create_logical_type(DUCKDB_TYPE_BLOB));
  std::vector<duckdb_logical_type> member_types(kv.size(), blob.type);
  std::vector<const char*> names;
  std::vector<std::unique_ptr<Value>> owned;
  std::vector<duckdb_value> values;
  for (const auto& [key, value] : kv) {
    names.push_back(key.c_str());
    owned.push_back(std::make_unique<Value>(
        duckdb_create_blob(reinterpret_cast<const uint8_t*>(value.data()), value.size())));
    values.push_back(owned.back()->value);
  }
  LogicalType type(duckdb_create_struct_type(member_types.data(), names.data(), kv.size()));
  Value metadata(duckdb_create_struct_value(type.type, values.data()));
  if (metadata.value == nullptr || duckdb_bind_value(stmt, index, metadata.value) == DuckDBError) {
    return Status::InvalidArgument(what + ": DuckDB rejected the Parquet key-value metadata");
  }
  return Status::OK();
}

int64_t RowGroupRows(int64_t dim) {
  return std::clamp<int64_t>(kRowGroupBytes / (4 * dim + 64), 2048, kMaxRowGroupRows);
}

// ---- decode ----------------------------------------------------------------

Status WriteBytes(const fs::path& path, const std::vector<uint8_t>& bytes, const std::string& what) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::IOError(what + ": cannot write " + path.string() + ": " + ErrnoMessage(errno));
  bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) return Status::IOError(what + ": cannot write " + path.string() + ": " + ErrnoMessage(err));
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::string>>> ReadMetadata(duckdb_connection conn, const fs::path& file,
                                                                     const std::string& what) {
  Prepared stmt;
  VERGER_RETURN_IF_ERROR(
      stmt.Prepare(conn, "SELECT key, value FROM parquet_kv_metadata($1)", StatusCode::kInternal, what));
  duckdb_bind_varchar_length(stmt.get(), 1, file.c_str(), file.native().size());
  QueryResult result;
  VERGER_RETURN_IF_ERROR(
      ExecStatement(stmt.get(), result, StatusCode::kCorrupt, what, "read Parquet key-value metadata"));
  std::vector<std::pair<std::string, std::string>> kv;
  while (true) {
    DataChunk chunk(duckdb_fetch_chunk(*result.get()));
    if (chunk.chunk == nullptr) break;
    idx_t n = duckdb_data_chunk_get_size(chunk.chunk);
    auto* keys = static_cast<duckdb_string_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk.chunk, 0)));
    auto* values = static_cast<duckdb_string_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk.chunk, 1)));
    uint64_t* key_valid = duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk.chunk, 0));
    uint64_t* value_valid = duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk.chunk, 1));
    for (idx_t i = 0; i < n; ++i) {
      std::string key = duckdb_validity_row_is_valid(key_valid, i) ? std::string(VectorText(&keys[i])) : "";
      std::string value = duckdb_validity_row_is_valid(value_valid, i) ? std::string(VectorText(&values[i])) : "";
      kv.emplace_back(std::move(key), std::move(value));
    }
  }
  return kv;
}

bool ParseDim(std::string_view text, int64_t& dim) {
  if (text.empty() || text.size() > 9) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  dim = v;
  return true;
}

// Checks the result's columns: path, label (text) and one FLOAT list/array.
Result<std::string> CheckColumns(duckdb_result* result, const std::string& what) {
  if (duckdb_column_count(result) != 3) {
    return Status::Corrupt(what + ": expected 3 Parquet columns (path, label, features), found " +
                           std::to_string(duckdb_column_count(result)));
  }
  for (idx_t c = 0; c < 2; ++c) {
    std::string_view name = duckdb_column_name(result, c);
    if (name != (c == 0 ? "path" : "label") || duckdb_column_type(result, c) != DUCKDB_TYPE_VARCHAR) {
      return Status::Corrupt(what + ": Parquet column " + std::to_string(c) + " should be " +
                             (c == 0 ? "path" : "label") + " VARCHAR, found " + Quoted(name));
    }
  }
  std::string name = duckdb_column_name(result, 2);
  LogicalType type(duckdb_column_logical_type(result, 2));
  duckdb_type id = duckdb_get_type_id(type.type);
  bool ok = false;
  if (id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY) {
    LogicalType child(id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(type.type)
                                             : duckdb_array_type_child_type(type.type));
    ok = duckdb_get_type_id(child.type) == DUCKDB_TYPE_FLOAT;
  }
  if (!ok) return Status::Unsupported(what + ": Parquet column " + Quoted(name) + " is not a list of FLOAT");
  return name;
}

// Appends one chunk's rows to `out`; sets `label` from the first row seen.
Status ReadChunk(duckdb_data_chunk chunk, FeatureTable& out, bool& have_label, int64_t& dim, const std::string& what) {
  const idx_t n = duckdb_data_chunk_get_size(chunk);
  duckdb_vector path_vec = duckdb_data_chunk_get_vector(chunk, 0);
  duckdb_vector label_vec = duckdb_data_chunk_get_vector(chunk, 1);
  duckdb_vector values_vec = duckdb_data_chunk_get_vector(chunk, 2);
  auto* paths = static_cast<duckdb_string_t*>(duckdb_vector_get_data(path_vec));
  auto* labels = static_cast<duckdb_string_t*>(duckdb_vector_get_data(label_vec));
  uint64_t* path_valid = duckdb_vector_get_validity(path_vec);
  uint64_t* label_valid = duckdb_vector_get_validity(label_vec);
  uint64_t* values_valid = duckdb_vector_get_validity(values_vec);

  LogicalType type(duckdb_vector_get_column_type(values_vec));
  const bool is_array = duckdb_get_type_id(type.type) == DUCKDB_TYPE_ARRAY;
  duckdb_vector child = is_array ? duckdb_array_vector_get_child(values_vec) : duckdb_list_vector_get_child(values_vec);
  const auto* floats = static_cast<const float*>(duckdb_vector_get_data(child));
  uint64_t* float_valid = duckdb_vector_get_validity(child);
  const idx_t array_size = is_array ? duckdb_array_type_array_size(type.type) : 0;
  const auto* entries = is_array ? nullptr : static_cast<const duckdb_list_entry*>(duckdb_vector_get_data(values_vec));

  for (idx_t i = 0; i < n; ++i) {
    const std::string row = "row " + std::to_string(out.rows());
    if (!duckdb_validity_row_is_valid(path_valid, i) || !duckdb_validity_row_is_valid(label_valid, i) ||
        !duckdb_validity_row_is_valid(values_valid, i)) {
      return Status::Corrupt(what + ": " + row + " has a NULL path, label or vector");
    }
    std::string_view label = VectorText(&labels[i]);
    if (!have_label) {
      out.label = std::string(label);
      have_label = true;
    } else if (label != out.label) {
      return Status::Unsupported(what + ": " + row + " has label " + Quoted(label) + ", earlier rows " +
                                 Quoted(out.label) + " (one label per table)");
    }
    const idx_t offset = is_array ? i * array_size : entries[i].offset;
    const idx_t length = is_array ? array_size : entries[i].length;
    if (dim < 0) dim = static_cast<int64_t>(length);
    if (static_cast<int64_t>(length) != dim) {
      return Status::Corrupt(what + ": " + row + " has " + std::to_string(length) + " values, expected " +
                             std::to_string(dim));
    }
    if (float_valid != nullptr) {
      for (idx_t k = 0; k < length; ++k) {
        if (!duckdb_validity_row_is_valid(float_valid, offset + k)) {
          return Status::Corrupt(what + ": " + row + " has a NULL value at index " + std::to_string(k));
        }
      }
    }
    out.paths.emplace_back(VectorText(&paths[i]));
    out.values.insert(out.values.end(), floats + offset, floats + offset + length);
  }
  return Status::OK();
}

}  // namespace

std::string ParquetVectorColumn(std::string_view column_prefix) {
  if (column_prefix == "dim_") return "features";
  std::string_view name = column_prefix;
  if (!name.empty() && name.back() == '_') name.remove_suffix(1);
  return std::string(name);
}

Result<std::vector<EncodedFile>> ParquetFormat::Encode(const FeatureTable& table, const std::string& what) const {
  VERGER_RETURN_IF_ERROR(CheckTable(table, what));
  VERGER_ASSIGN_OR_RETURN(ThreadDatabase * db, ThreadDatabase::Get(what));
  // A failed statement may leave the table (or worse) behind: the next call
  // on this thread then starts from a fresh database.
  ThreadDatabase::ResetOnError reset{db};
  const std::string column = ParquetVectorColumn(table.column_prefix);  // an identifier: checked above
  const std::string vector_type = table.dim > 0 ? "FLOAT[" + std::to_string(table.dim) + "]" : "FLOAT[]";
  VERGER_RETURN_IF_ERROR(Exec(db->conn(), "CREATE OR REPLACE TABLE t (path VARCHAR, label VARCHAR, \"" + column +
                                              "\" " + vector_type + ")",
                              what, "create the table"));
  VERGER_RETURN_IF_ERROR(AppendRows(db->conn(), table, what));

  const fs::path file = db->File("table.parquet");
  Prepared copy;
  VERGER_RETURN_IF_ERROR(copy.Prepare(db->conn(),
                                      "COPY t TO $1 (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
                                          std::to_string(RowGroupRows(table.dim)) + ", KV_METADATA $2)",
                                      StatusCode::kInternal, what));
  duckdb_bind_varchar_length(copy.get(), 1, file.c_str(), file.native().size());
  VERGER_RETURN_IF_ERROR(BindMetadata(copy.get(), 2, table, what));
  QueryResult result;
  VERGER_RETURN_IF_ERROR(ExecStatement(copy.get(), result, StatusCode::kIOError, what, "write Parquet"));
  VERGER_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(file));
  VERGER_RETURN_IF_ERROR(db->Clear(what));
  reset.db = nullptr;
  std::vector<EncodedFile> out;
  out.push_back(EncodedFile{".parquet", std::move(bytes)});
  return out;
}

Result<FeatureTable> ParquetFormat::Decode(const std::vector<std::vector<uint8_t>>& files,
                                           const std::string& what) const {
  if (files.size() != 1) {
    return Status::InvalidArgument(what + ": Parquet tables are one file, got " + std::to_string(files.size()));
  }
  VERGER_ASSIGN_OR_RETURN(ThreadDatabase * db, ThreadDatabase::Get(what));
  // Reading creates nothing in the database: a failed read (damaged bytes,
  // an expected outcome) leaves it usable, and only the file goes.
  struct RemoveFile {
    fs::path path;
    ~RemoveFile() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } file_guard{db->File("table.parquet")};
  const fs::path& file = file_guard.path;
  VERGER_RETURN_IF_ERROR(WriteBytes(file, files[0], what));

  VERGER_ASSIGN_OR_RETURN(auto kv, ReadMetadata(db->conn(), file, what));
  FeatureTable out;
  int64_t dim = -1;
  std::string meta_label, meta_prefix;
  for (auto& [key, value] : kv) {
    if (key == kParquetDimKey) {
      if (!ParseDim(value, dim) || dim > kMaxDim) {
        return Status::Corrupt(what + ": Parquet metadata " + std::string(kParquetDimKey) + " is " + Quoted(value));
      }
    } else if (key == kParquetLabelKey) {
      meta_label = value;
    } else if (key == kParquetColumnPrefixKey) {
      meta_prefix = value;
    } else {
      out.metadata.emplace_back(std::move(key), std::move(value));
    }
  }

  Prepared select;
  VERGER_RETURN_IF_ERROR(select.Prepare(db->conn(), "SELECT * FROM read_parquet($1)", StatusCode::kInternal, what));
  duckdb_bind_varchar_length(select.get(), 1, file.c_str(), file.native().size());
  QueryResult result;
  VERGER_RETURN_IF_ERROR(ExecStatement(select.get(), result, StatusCode::kCorrupt, what, "read Parquet"));
  VERGER_ASSIGN_OR_RETURN(std::string column, CheckColumns(result.get(), what));
  if (!meta_prefix.empty() && ParquetVectorColumn(meta_prefix) == column) {
    out.column_prefix = meta_prefix;
  } else {
    out.column_prefix = column == "features" ? "dim_" : column + "_";
  }
  bool have_label = false;
  while (true) {
    DataChunk chunk(duckdb_fetch_chunk(*result.get()));
    if (chunk.chunk == nullptr) break;
    VERGER_RETURN_IF_ERROR(ReadChunk(chunk.chunk, out, have_label, dim, what));
  }
  if (!have_label) out.label = meta_label;  // no rows: the label only lives in the metadata
  out.dim = std::max<int64_t>(dim, 0);
  return out;
}

}  // namespace verger
