#include "sink/csv_format.h"

#include <charconv>

namespace verger {

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, const std::string& what) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, field_started = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      records.push_back(std::move(record));
      record.clear();
      field.clear();
      field_started = false;
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (in_quotes) return Status::Corrupt(what + ": unterminated quoted field at line " + std::to_string(line));
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

Result<std::vector<EncodedFile>> CsvFormat::Encode(const FeatureTable& table, const std::string& what) const {
  if (static_cast<int64_t>(table.values.size()) != table.rows() * table.dim)
    return Status::Internal(what + ": table has " + std::to_string(table.values.size()) + " values for " +
                            std::to_string(table.rows()) + " rows of " + std::to_string(table.dim));
  std::string out;
  // ~10 bytes per value is typical of shortest float forms.
  out.reserve(static_cast<size_t>(table.rows() * (table.dim * 11 + 64)) + 32 + table.dim * 9);
  out += "path,label";
  for (int64_t d = 0; d < table.dim; ++d) {
    out += ',';
    out += table.column_prefix;
    out += std::to_string(d);
  }
  out += '\n';
  char buf[32];
  for (int64_t r = 0; r < table.rows(); ++r) {
    AppendCsvField(out, table.paths[r]);
    out += ',';
    AppendCsvField(out, table.label);
    const float* row = table.values.data() + r * table.dim;
    for (int64_t d = 0; d < table.dim; ++d) {
      out += ',';
      auto res = std::to_chars(buf, buf + sizeof buf, row[d]);
      out.append(buf, res.ptr);
    }
    out += '\n';
  }
  std::vector<EncodedFile> files(1);
  files[0].suffix = ".csv";
  files[0].bytes.assign(out.begin(), out.end());
  return files;
}

Result<FeatureTable> CsvFormat::Decode(const std::vector<std::vector<uint8_t>>& files, const std::string& what) const {
  if (files.size() != 1) return Status::Internal(what + ": csv expects one file");
  std::string_view text(reinterpret_cast<const char*>(files[0].data()), files[0].size());
  VERGER_ASSIGN_OR_RETURN(auto records, ParseCsv(text, what));
  if (records.empty()) return Status::Corrupt(what + ": empty CSV (no header)");
  const auto& header = records[0];
  if (header.size() < 2 || header[0] != "path" || header[1] != "label")
    return Status::Corrupt(what + ": header must start with path,label");
  FeatureTable table;
  table.dim = static_cast<int64_t>(header.size()) - 2;
  if (table.dim > 0) {
    const std::string& first = header[2];
    table.column_prefix = first.substr(0, first.size() - 1);  // "dim_0" -> "dim_"
  }
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    if (static_cast<int64_t>(rec.size()) != table.dim + 2)
      return Status::Corrupt(what + ": row " + std::to_string(r) + " has " + std::to_string(rec.size()) +
                             " fields, header has " + std::to_string(table.dim + 2));
    table.paths.push_back(rec[0]);
    if (r == 1) table.label = rec[1];
    for (int64_t d = 0; d < table.dim; ++d) {
      const std::string& s = rec[2 + d];
      float v = 0;
      auto res = std::from_chars(s.data(), s.data() + s.size(), v);
      if (res.ec != std::errc() || res.ptr != s.data() + s.size())
        return Status::Corrupt(what + ": row " + std::to_string(r) + " column " + header[2 + d] +
                               ": not a number: '" + s + "'");
      table.values.push_back(v);
    }
  }
  return table;
}

}  // namespace verger
