// `verger extract`: images -> feature tables, one partition at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/progress.h"
#include "io/object_store.h"

namespace verger {

struct ExtractOptions {
  std::string input;                      // local folder or s3://bucket/prefix
  std::string output;                     // local folder or s3://bucket/prefix
  std::string model = "mobilenetv2";      // built-in name or spec file
  std::string weights;                    // replaces the spec's weights file
  int batch = 16;
  int threads = 0;                        // 0 = all cores
  int io_concurrency = 0;                 // 0 = a default fitting the store
  int64_t partition_size = 1000;
  std::vector<std::string> formats = {"csv"};
  int64_t limit = 0;                      // 0 = all images
  bool overwrite = false;
  int64_t max_errors = -1;                // -1 = unlimited
  int64_t max_pixels = 178956970;         // decompression-bomb guard
  bool write_pca_stats = false;           // per-partition PCA statistics (for `run`)
  StoreOptions store;
  Progress::Mode progress = Progress::Mode::kAuto;
  std::string command_line;               // recorded in the manifest
};

struct ExtractSummary {
  int64_t listed = 0, ok = 0, failed = 0;
  int64_t partitions = 0;
  int64_t feature_dim = 0;
  double wall_s = 0, images_per_s = 0;
  bool max_errors_exceeded = false;
  std::string model_hash;
  std::string output_uri;
};

// Runs the whole job. Returns an error Status for configuration problems
// (InvalidArgument/NotFound/AlreadyExists/PermissionDenied) and failures
// that stop the job; bad images never do, unless --max-errors is exceeded
// (summary.max_errors_exceeded, with errors.csv written and no manifest).
Result<ExtractSummary> RunExtract(const ExtractOptions& options);

}  // namespace verger
