// `--dry-run`: everything an extract does before its first write — load the
// model, list (and sample) the input, plan partitions, check the output
// location — and a description of what it would then do.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/extract_job.h"

namespace verger {

struct ExtractPlan {
  std::string input_uri, output_uri;
  std::string model, backend;
  int64_t feature_dim = 0;
  int64_t images = 0, listing_problems = 0;
  std::map<std::string, int64_t> images_per_label;
  int64_t partitions = 0, partition_size = 0;
  int64_t largest_partition = 0;         // images; above partition_size only on --resume (PartitionCutter)
  int64_t tables = 0;                    // label tables per format (one per label and partition)
  std::vector<std::string> formats;
  std::string output_state;              // what happens to the output location
  int64_t partitions_complete = 0;       // --resume: kept as they are
};

// Errors as RunExtract would give them (bad model, input, non-empty output
// without --overwrite/--resume); writes nothing, creates no folder.
Result<ExtractPlan> PlanExtract(const ExtractOptions& options);

// The plan as the lines --dry-run prints (`with_pca`: `verger run`).
std::string DescribePlan(const ExtractPlan& plan, bool with_pca);

}  // namespace verger
