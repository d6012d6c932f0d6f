# DuckDB's C library, for the Parquet output format. scripts/setup.d/10-duckdb
# fetches the pinned release (cmake/versions.cmake) into third_party/duckdb;
# point VERGER_DUCKDB_DIR elsewhere (a folder with include/duckdb.h and
# lib/libduckdb.so); a system libduckdb is used when that folder has none.
# Defines the imported target verger::duckdb.
set(VERGER_DUCKDB_DIR "${PROJECT_SOURCE_DIR}/third_party/duckdb" CACHE PATH
    "Folder with include/duckdb.h and lib/libduckdb.so (scripts/setup.d/10-duckdb fills the default)")

# Search again when the folder changes (find_* results are cached).
if(NOT "${VERGER_DUCKDB_DIR}" STREQUAL "${_VERGER_DUCKDB_DIR_SEARCHED}")
  unset(VERGER_DUCKDB_INCLUDE_DIR CACHE)
  unset(VERGER_DUCKDB_LIBRARY CACHE)
  set(_VERGER_DUCKDB_DIR_SEARCHED "${VERGER_DUCKDB_DIR}" CACHE INTERNAL "")
endif()
find_path(VERGER_DUCKDB_INCLUDE_DIR duckdb.h
          HINTS "${VERGER_DUCKDB_DIR}/include" "${VERGER_DUCKDB_DIR}")
find_library(VERGER_DUCKDB_LIBRARY NAMES duckdb
             HINTS "${VERGER_DUCKDB_DIR}/lib" "${VERGER_DUCKDB_DIR}")
if(NOT VERGER_DUCKDB_INCLUDE_DIR OR NOT VERGER_DUCKDB_LIBRARY)
  message(FATAL_ERROR "DuckDB not found in ${VERGER_DUCKDB_DIR} nor on the system: run "
                      "scripts/setup.d/10-duckdb (or scripts/setup), or pass -DVERGER_DUCKDB_DIR=<dir>")
endif()

# The fetched copy records its release; refuse a stale one rather than build
# against a header that does not match the pin.
string(FIND "${VERGER_DUCKDB_LIBRARY}" "${VERGER_DUCKDB_DIR}/" _verger_duckdb_pos)
if(EXISTS "${VERGER_DUCKDB_DIR}/VERSION" AND _verger_duckdb_pos EQUAL 0)
  file(READ "${VERGER_DUCKDB_DIR}/VERSION" _verger_duckdb_stamp)
  string(STRIP "${_verger_duckdb_stamp}" _verger_duckdb_stamp)
  set(_verger_duckdb_want "duckdb ${VERGER_DUCKDB_VERSION} bindings ${VERGER_DUCKDB_BINDINGS_VERSION}")
  if(NOT _verger_duckdb_stamp STREQUAL _verger_duckdb_want)
    message(FATAL_ERROR "${VERGER_DUCKDB_DIR} holds '${_verger_duckdb_stamp}', cmake/versions.cmake pins "
                        "'${_verger_duckdb_want}': run scripts/setup.d/10-duckdb")
  endif()
endif()
message(STATUS "DuckDB: ${VERGER_DUCKDB_LIBRARY}")

add_library(verger::duckdb SHARED IMPORTED)
set_target_properties(verger::duckdb PROPERTIES
  IMPORTED_LOCATION "${VERGER_DUCKDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${VERGER_DUCKDB_INCLUDE_DIR}")
