// Owning wrappers around DuckDB's C API handles, and a private temporary
// directory, for the Parquet format. Internal to src/sink. None of these are
// thread-safe; ParquetFormat uses one ThreadDatabase per thread.
#pragma once

#include <duckdb.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verger::parquet_internal {

namespace fs = std::filesystem;

class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() {
    if (conn_) duckdb_disconnect(&conn_);
    if (db_) duckdb_close(&db_);
  }

  // An in-memory database with one worker thread (the engine parallelises
  // across tables), no extension downloads (parquet is built in), and any
  // spill to disk inside `scratch` rather than DuckDB's default ./.tmp.
  Status Open(const fs::path& scratch, const std::string& what);

  duckdb_connection conn() const { return conn_; }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection conn_ = nullptr;
};

class QueryResult {
 public:
  QueryResult() { std::memset(&result_, 0, sizeof(result_)); }
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult() { duckdb_destroy_result(&result_); }
  duckdb_result* get() { return &result_; }
  std::string error() { return duckdb_result_error(&result_) ? duckdb_result_error(&result_) : "unknown error"; }

 private:
  duckdb_result result_;
};

class Prepared {
 public:
  Prepared() = default;
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  ~Prepared() { duckdb_destroy_prepare(&stmt_); }

  Status Prepare(duckdb_connection conn, const std::string& sql, StatusCode code, const std::string& what) {
    if (duckdb_prepare(conn, sql.c_str(), &stmt_) == DuckDBError) {
      const char* e = duckdb_prepare_error(stmt_);
      return {code, what + ": DuckDB cannot prepare the query: " + (e ? e : "unknown error")};
    }
    return Status::OK();
  }
  duckdb_prepared_statement get() const { return stmt_; }

 private:
  duckdb_prepared_statement stmt_ = nullptr;
};

struct LogicalType {
  explicit LogicalType(duckdb_logical_type t) : type(t) {}
  LogicalType(const LogicalType&) = delete;
  LogicalType& operator=(const LogicalType&) = delete;
  ~LogicalType() { duckdb_destroy_logical_type(&type); }
  duckdb_logical_type type;
};

struct Value {
  explicit Value(duckdb_value v) : value(v) {}
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  ~Value() { duckdb_destroy_value(&value); }
  duckdb_value value;
};

struct DataChunk {
  explicit DataChunk(duckdb_data_chunk c) : chunk(c) {}
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;
  ~DataChunk() { duckdb_destroy_data_chunk(&chunk); }
  duckdb_data_chunk chunk;
};

// A private directory under the system temp folder, removed with its files.
class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }

  Status Create(const std::string& what);
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// One in-memory DuckDB database per thread, opened on first use and kept for
// the thread's life: opening a database costs far more than encoding a small
// table (a 10k-image run over 1,000 labels writes about 1,000 tables, and
// opening one database per table took 281 of its 296 s). Its private folder
// holds the files passed to and from DuckDB and DuckDB's spill files.
class ThreadDatabase {
 public:
  // This thread's database; Internal / IOError (naming `what`) if it cannot be opened.
  static Result<ThreadDatabase*> Get(const std::string& what);
  // Closes this thread's database; the next Get opens a fresh one.
  static void Reset();

  // Resets the thread's database when a call fails midway (a half-made
  // table, a statement in an unknown state); disarmed by clearing `db`.
  struct ResetOnError {
    ThreadDatabase* db;
    ~ResetOnError() {
      if (db) Reset();
    }
  };

  duckdb_connection conn() const { return db_.conn(); }
  fs::path File(std::string_view name) const { return dir_.path() / name; }
  // After each call: drops table t and removes the files, so nothing of one
  // table stays in memory or on disk for the next.
  Status Clear(const std::string& what);

 private:
  TempDir dir_;  // declared first: removed after the database is closed
  Database db_;
};

// Runs a bound statement into `result`; on failure `code` with DuckDB's
// message, saying what it was doing.
Status ExecStatement(duckdb_prepared_statement stmt, QueryResult& result, StatusCode code, const std::string& what,
                     std::string_view doing);
// Runs fixed SQL (no user data in it); failures are Internal.
Status Exec(duckdb_connection conn, const std::string& sql, const std::string& what, std::string_view doing);

}  // namespace verger::parquet_internal
