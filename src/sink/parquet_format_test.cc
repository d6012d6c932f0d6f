// ParquetFormat: exact round trips, the file's schema and key-value metadata
// (read back with DuckDB's own Parquet functions and from the raw footer),
// and rejection of malformed tables and files.
#include "sink/parquet_format.h"

#include <duckdb.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include <stdlib.h>
#include <unistd.h>

namespace verger {
namespace {

namespace fs = std::filesystem;

FeatureTable RandomTable(int64_t rows, int64_t dim, const std::string& label, uint32_t seed = 7) {
  FeatureTable t;
  t.label = label;
  t.dim = dim;
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 5.f);
  for (int64_t r = 0; r < rows; ++r) {
    t.paths.push_back(label + "/sub dir/img " + std::to_string(r) + " ü=%2F.jpg");
    for (int64_t d = 0; d < dim; ++d) t.values.push_back(dist(rng));
  }
  return t;
}

Result<FeatureTable> RoundTrip(const FeatureTable& in) {
  ParquetFormat format;
  VERGER_ASSIGN_OR_RETURN(auto files, format.Encode(in, "test table"));
  if (files.size() != 1 || files[0].suffix != ".parquet") return Status::Internal("unexpected files");
  return format.Decode({files[0].bytes}, "test table");
}

// Bit-exact (NaN payloads and -0 included).
void ExpectSameValues(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    ASSERT_EQ(x, y) << "value " << i << ": " << a[i] << " vs " << b[i];
  }
}

void ExpectSameTable(const FeatureTable& in, const FeatureTable& out) {
  EXPECT_EQ(out.label, in.label);
  EXPECT_EQ(out.dim, in.dim);
  EXPECT_EQ(out.column_prefix, in.column_prefix);
  EXPECT_EQ(out.paths, in.paths);
  EXPECT_EQ(out.metadata, in.metadata);
  ExpectSameValues(in.values, out.values);
}

TEST(ParquetFormat, RoundTripsAwkwardLabelsExactly) {
  for (const std::string label : {"Banana 1", "Pomme de terre é", "a=b", "x/y", "100% ripe", "quote ' \" ; --",
                                  "日本語", "tab\there"}) {
    SCOPED_TRACE(label);
    FeatureTable in = RandomTable(5, 17, label);
    auto out = RoundTrip(in);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectSameTable(in, *out);
  }
}

TEST(ParquetFormat, RoundTripsDimsOneAndLarge) {
  for (int64_t dim : {1, 1280, 4096}) {
    SCOPED_TRACE(dim);
    FeatureTable in = RandomTable(9, dim, "Apple");
    auto out = RoundTrip(in);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectSameTable(in, *out);
  }
}

TEST(ParquetFormat, RoundTripsSpecialFloats) {
  FeatureTable in = RandomTable(2, 6, "Kiwi");
  in.values = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
               -std::numeric_limits<float>::infinity(), -0.0f, std::numeric_limits<float>::denorm_min(),
               std::numeric_limits<float>::max(), 1e-38f, -1.f, 0.1f, 3.4028e38f, 1.17549435e-38f, 2.f};
  auto out = RoundTrip(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectSameTable(in, *out);
}

TEST(ParquetFormat, RoundTripsManyChunks) {
  // More rows than one DuckDB vector (2048) so the appender loop runs often.
  FeatureTable in = RandomTable(5000, 3, "Lemon");
  auto out = RoundTrip(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectSameTable(in, *out);
}

TEST(ParquetFormat, ZeroRowsKeepDimLabelAndMetadata) {
  FeatureTable in = RandomTable(0, 1280, "Empty label é");
  in.metadata = {{"model", "mobilenetv2"}};
  auto out = RoundTrip(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectSameTable(in, *out);

  FeatureTable no_dim = RandomTable(0, 0, "Nothing");
  out = RoundTrip(no_dim);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectSameTable(no_dim, *out);
}

TEST(ParquetFormat, PcaPrefixNamesColumnPc) {
  EXPECT_EQ(ParquetVectorColumn("dim_"), "features");
  EXPECT_EQ(ParquetVectorColumn("pc_"), "pc");
  FeatureTable in = RandomTable(3, 4, "Pear");
  in.column_prefix = "pc_";
  auto out = RoundTrip(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectSameTable(in, *out);
}

// ---- the file itself, checked with DuckDB's Parquet introspection ----------

class DuckDbProbe {
 public:
  DuckDbProbe() {
    EXPECT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    EXPECT_EQ(duckdb_connect(db_, &conn_), DuckDBSuccess);
  }
  ~DuckDbProbe() {
    duckdb_disconnect(&conn_);
    duckdb_close(&db_);
  }
  // Runs `sql` with $1 bound to `file`; every cell as text.
  std::vector<std::vector<std::string>> Query(const std::string& sql, const std::string& file) {
    duckdb_prepared_statement stmt;
    std::vector<std::vector<std::string>> rows;
    if (duckdb_prepare(conn_, sql.c_str(), &stmt) == DuckDBError) {
      ADD_FAILURE() << duckdb_prepare_error(stmt);
      duckdb_destroy_prepare(&stmt);
      return rows;
    }
    duckdb_bind_varchar(stmt, 1, file.c_str());
    duckdb_result result;
    if (duckdb_execute_prepared(stmt, &result) == DuckDBError) {
      ADD_FAILURE() << duckdb_result_error(&result);
    } else {
      for (idx_t r = 0; r < duckdb_row_count(&result); ++r) {
        rows.emplace_back();
        for (idx_t c = 0; c < duckdb_column_count(&result); ++c) {
          char* v = duckdb_value_varchar(&result, c, r);
          rows.back().push_back(v ? v : "NULL");
          duckdb_free(v);
        }
      }
    }
    duckdb_destroy_result(&result);
    duckdb_destroy_prepare(&stmt);
    return rows;
  }
  bool Exec(const std::string& sql) {
    duckdb_result result;
    bool ok = duckdb_query(conn_, sql.c_str(), &result) == DuckDBSuccess;
    if (!ok) ADD_FAILURE() << duckdb_result_error(&result);
    duckdb_destroy_result(&result);
    return ok;
  }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection conn_ = nullptr;
};

class ParquetFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("verger-parquet-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::vector<uint8_t>& bytes) {
    std::string path = dir_ / "t.parquet";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path;
  }
  std::vector<uint8_t> Read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  fs::path dir_;
};

TEST_F(ParquetFile, HasSchemaZstdAndMetadata) {
  FeatureTable in = RandomTable(4, 8, "Banana 1");
  in.metadata = {{"model_spec_sha256", "4b1d0c0ffee"}, {"preprocessing", "{\"mode\":\"tf\"}"}};
  auto files = ParquetFormat().Encode(in, "t");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::string path = Write((*files)[0].bytes);
  DuckDbProbe probe;

  auto schema = probe.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($1))", path);
  ASSERT_EQ(schema.size(), 3u);
  EXPECT_EQ(schema[0], (std::vector<std::string>{"path", "VARCHAR"}));
  EXPECT_EQ(schema[1], (std::vector<std::string>{"label", "VARCHAR"}));
  EXPECT_EQ(schema[2], (std::vector<std::string>{"features", "FLOAT[]"}));

  auto codecs = probe.Query("SELECT DISTINCT compression FROM parquet_metadata($1)", path);
  ASSERT_EQ(codecs.size(), 1u);
  EXPECT_EQ(codecs[0][0], "ZSTD");

  auto kv = probe.Query("SELECT decode(key), decode(value) FROM parquet_kv_metadata($1) ORDER BY 1", path);
  std::vector<std::vector<std::string>> want = {{"model_spec_sha256", "4b1d0c0ffee"},
                                                {"preprocessing", "{\"mode\":\"tf\"}"},
                                                {"verger.column_prefix", "dim_"},
                                                {"verger.dim", "8"},
                                                {"verger.label", "Banana 1"}};
  EXPECT_EQ(kv, want);

  auto rows = probe.Query("SELECT path, label, len(features) FROM read_parquet($1)", path);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2], (std::vector<std::string>{in.paths[2], "Banana 1", "8"}));

  // The footer (Thrift FileMetaData, strings stored raw) carries the pairs too.
  const auto& bytes = (*files)[0].bytes;
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(std::string(bytes.end() - 4, bytes.end()), "PAR1");
  uint32_t footer_len;
  std::memcpy(&footer_len, bytes.data() + bytes.size() - 8, 4);
  ASSERT_LE(footer_len + 8, bytes.size());
  std::string footer(bytes.end() - 8 - footer_len, bytes.end() - 8);
  EXPECT_NE(footer.find("model_spec_sha256"), std::string::npos);
  EXPECT_NE(footer.find("4b1d0c0ffee"), std::string::npos);
}

TEST_F(ParquetFile, DecodeRejectsRaggedRowsAndMixedLabels) {
  DuckDbProbe probe;
  std::string ragged = dir_ / "ragged.parquet";
  ASSERT_TRUE(probe.Exec("COPY (SELECT 'a' AS path, 'L' AS label, [1,2]::FLOAT[] AS features UNION ALL "
                         "SELECT 'b', 'L', [1,2,3]::FLOAT[]) TO '" + ragged + "' (FORMAT parquet)"));
  auto out = ParquetFormat().Decode({Read(ragged)}, "ragged table");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(out.status().message().find("ragged table"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("row 1"), std::string::npos) << out.status().message();

  std::string mixed = dir_ / "mixed.parquet";
  ASSERT_TRUE(probe.Exec("COPY (SELECT 'a' AS path, 'L' AS label, [1,2]::FLOAT[] AS features UNION ALL "
                         "SELECT 'b', 'M', [1,2]::FLOAT[]) TO '" + mixed + "' (FORMAT parquet)"));
  out = ParquetFormat().Decode({Read(mixed)}, "mixed table");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);

  std::string doubles = dir_ / "doubles.parquet";
  ASSERT_TRUE(probe.Exec("COPY (SELECT 'a' AS path, 'L' AS label, [1,2]::DOUBLE[] AS features) TO '" + doubles +
                         "' (FORMAT parquet)"));
  out = ParquetFormat().Decode({Read(doubles)}, "doubles table");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
}

TEST_F(ParquetFile, DecodeReadsForeignFileWithoutVergerMetadata) {
  // A file another tool wrote: no verger.* metadata, dim from the rows.
  DuckDbProbe probe;
  std::string foreign = dir_ / "foreign.parquet";
  ASSERT_TRUE(probe.Exec("COPY (SELECT 'a.jpg' AS path, 'L' AS label, [1.5,2]::FLOAT[] AS pc) TO '" + foreign +
                         "' (FORMAT parquet)"));
  auto out = ParquetFormat().Decode({Read(foreign)}, "foreign table");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->label, "L");
  EXPECT_EQ(out->dim, 2);
  EXPECT_EQ(out->column_prefix, "pc_");
  EXPECT_EQ(out->values, (std::vector<float>{1.5f, 2.f}));
}

TEST(ParquetFormat, DecodeRejectsCorruptBytes) {
  FeatureTable in = RandomTable(20, 32, "Mango");
  auto files = ParquetFormat().Encode(in, "t");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const std::vector<uint8_t> good = (*files)[0].bytes;

  std::vector<std::vector<uint8_t>> bad;
  bad.push_back({});                                                      // empty
  bad.push_back({'P', 'A', 'R', '1', 'x', 'y'});                          // not Parquet
  bad.emplace_back(good.begin(), good.begin() + good.size() / 2);        // truncated
  std::vector<uint8_t> footer = good;                                     // footer length out of range
  footer[footer.size() - 6] = 0x7f;
  bad.push_back(footer);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto out = ParquetFormat().Decode({bad[i]}, "broken table");
    ASSERT_FALSE(out.ok()) << "case " << i;
    EXPECT_EQ(out.status().code(), StatusCode::kCorrupt) << "case " << i << ": " << out.status().ToString();
    EXPECT_NE(out.status().message().find("broken table"), std::string::npos) << out.status().message();
  }
  auto two = ParquetFormat().Decode({good, good}, "two files");
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
}

TEST(ParquetFormat, EncodeRejectsMalformedTables) {
  ParquetFormat format;
  FeatureTable short_values = RandomTable(3, 4, "A");
  short_values.values.pop_back();
  EXPECT_EQ(format.Encode(short_values, "t").status().code(), StatusCode::kInvalidArgument);

  FeatureTable bad_utf8 = RandomTable(3, 4, "A");
  bad_utf8.paths[1] = "A/\xff\xfe.jpg";
  auto st = format.Encode(bad_utf8, "t").status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("row 1"), std::string::npos) << st.message();

  FeatureTable overlong = RandomTable(1, 4, "\xc0\xaf");  // overlong '/'
  EXPECT_EQ(format.Encode(overlong, "t").status().code(), StatusCode::kInvalidArgument);

  FeatureTable reserved = RandomTable(1, 4, "A");
  reserved.metadata = {{std::string(kParquetDimKey), "9"}};
  EXPECT_EQ(format.Encode(reserved, "t").status().code(), StatusCode::kInvalidArgument);

  FeatureTable duplicate = RandomTable(1, 4, "A");
  duplicate.metadata = {{"k", "1"}, {"k", "2"}};
  EXPECT_EQ(format.Encode(duplicate, "t").status().code(), StatusCode::kInvalidArgument);

  FeatureTable bad_prefix = RandomTable(1, 4, "A");
  bad_prefix.column_prefix = "x\"; DROP TABLE t; --";
  EXPECT_EQ(format.Encode(bad_prefix, "t").status().code(), StatusCode::kInvalidArgument);
}

TEST(ParquetFormat, ConcurrentEncodesAreIndependent) {
  constexpr int kThreads = 4;
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &results] {
      for (int i = 0; i < 5 && results[t].ok(); ++i) {
        FeatureTable in = RandomTable(40, 64, "L" + std::to_string(t), 100 * t + i);
        auto out = RoundTrip(in);
        if (!out.ok()) {
          results[t] = out.status();
        } else if (out->paths != in.paths || out->values != in.values || out->label != in.label) {
          results[t] = Status::Internal("thread " + std::to_string(t) + " got another table back");
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(results[t].ok()) << results[t].ToString();
}

TEST(ParquetFormat, LeavesNoTemporaryFilesInTmpdir) {
  // A private TMPDIR so other processes' files cannot interfere.
  fs::path tmp = fs::temp_directory_path() / ("verger-parquet-test-tmpdir-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", tmp.c_str(), 1);
  FeatureTable in = RandomTable(3, 5, "A");
  Result<FeatureTable> out = Status::Internal("not run");
  Result<FeatureTable> bad = Status::Internal("not run");
  size_t left_between_calls = 0;
  // A thread of its own: its database and folder go when it ends.
  std::thread([&] {
    out = RoundTrip(in);
    bad = ParquetFormat().Decode({{1, 2, 3}}, "t");
    // Between calls only the thread's (empty) folder remains.
    for (const auto& dir : fs::recursive_directory_iterator(tmp))
      if (!dir.is_directory()) ++left_between_calls;
  }).join();
  EXPECT_EQ(left_between_calls, 0u);
  if (old) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(fs::is_empty(tmp));
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace verger
