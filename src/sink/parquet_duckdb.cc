#include "sink/parquet_duckdb.h"

#include <stdlib.h>

#include <cerrno>
#include <memory>

#include "core/file_util.h"

namespace verger::parquet_internal {

Status Database::Open(const fs::path& scratch, const std::string& what) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) return Status::Internal(what + ": cannot create DuckDB config");
  duckdb_set_config(config, "threads", "1");
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "temp_directory", (scratch / "spill").c_str());
  char* error = nullptr;
  duckdb_state state = duckdb_open_ext(nullptr, &db_, config, &error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string message = error ? error : "unknown error";
    duckdb_free(error);
    db_ = nullptr;
    return Status::Internal(what + ": cannot open DuckDB: " + message);
  }
  if (duckdb_connect(db_, &conn_) == DuckDBError) {
    conn_ = nullptr;
    return Status::Internal(what + ": cannot connect to DuckDB");
  }
  return Status::OK();
}

Status TempDir::Create(const std::string& what) {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) return Status::IOError(what + ": no temporary directory: " + ec.message());
  std::string templ = fs::absolute(base, ec) / "verger-parquet-XXXXXX";
  if (ec || mkdtemp(templ.data()) == nullptr) {
    return Status::IOError(what + ": cannot create a temporary directory under " + base.string() + ": " +
                           ErrnoMessage(errno));
  }
  path_ = templ;
  return Status::OK();
}

namespace {
thread_local std::unique_ptr<ThreadDatabase> this_thread_db;
}  // namespace

Result<ThreadDatabase*> ThreadDatabase::Get(const std::string& what) {
  if (!this_thread_db) {
    auto db = std::make_unique<ThreadDatabase>();
    VERGER_RETURN_IF_ERROR(db->dir_.Create(what));
    VERGER_RETURN_IF_ERROR(db->db_.Open(db->dir_.path(), what));
    this_thread_db = std::move(db);
  }
  return this_thread_db.get();
}

void ThreadDatabase::Reset() { this_thread_db.reset(); }

Status ThreadDatabase::Clear(const std::string& what) {
  VERGER_RETURN_IF_ERROR(Exec(conn(), "DROP TABLE IF EXISTS t", what, "drop the table"));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_.path(), ec)) {
    if (entry.path().filename() != "spill") fs::remove_all(entry.path(), ec);
  }
  return Status::OK();
}

Status ExecStatement(duckdb_prepared_statement stmt, QueryResult& result, StatusCode code, const std::string& what,
                     std::string_view doing) {
  if (duckdb_execute_prepared(stmt, result.get()) == DuckDBError) {
    return {code, what + ": DuckDB failed to " + std::string(doing) + ": " + result.error()};
  }
  return Status::OK();
}

Status Exec(duckdb_connection conn, const std::string& sql, const std::string& what, std::string_view doing) {
  QueryResult result;
  if (duckdb_query(conn, sql.c_str(), result.get()) == DuckDBError) {
    return Status::Internal(what + ": DuckDB failed to " + std::string(doing) + ": " + result.error());
  }
  return Status::OK();
}

}  // namespace verger::parquet_internal
