# The one place where dependency versions are pinned. scripts/setup installs
# these from Debian 12 (bookworm); CMake refuses older ones.
set(VERGER_OPENCV_MIN_VERSION 4.6)      # libopencv-dev 4.6.0
set(VERGER_EIGEN_MIN_VERSION 3.4)       # libeigen3-dev 3.4.0
set(VERGER_NLOHMANN_JSON_MIN_VERSION 3.11) # nlohmann-json3-dev 3.11.2
set(VERGER_CLI11_MIN_VERSION 2.1)       # libcli11-dev 2.1.2
set(VERGER_SPDLOG_MIN_VERSION 1.10)     # libspdlog-dev 1.10.0
set(VERGER_FMT_MIN_VERSION 9.1)         # libfmt-dev 9.1.0
set(VERGER_GTEST_MIN_VERSION 1.12)      # libgtest-dev 1.12.1
set(VERGER_HDF5_MIN_VERSION 1.10)       # libhdf5-dev 1.10.8 (Keras .h5 weights, src/model/keras_h5.cc)
# DuckDB (Parquet output) comes from npm, not Debian: scripts/setup.d/10-duckdb
# reads these lines. libduckdb.so ships in the node-bindings package,
# duckdb.h in the `duckdb` package; both must be the same DuckDB release.
set(VERGER_DUCKDB_VERSION 1.4.4)                  # npm duckdb (header only)
set(VERGER_DUCKDB_BINDINGS_VERSION 1.4.4-r.4)     # npm @duckdb/node-bindings-linux-x64
set(VERGER_HYPARQUET_VERSION 1.31.5)              # npm hyparquet, test oracle only
set(VERGER_HYPARQUET_COMPRESSORS_VERSION 1.1.2)   # npm hyparquet-compressors (zstd)
