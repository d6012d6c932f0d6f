// Merging per-partition PCA statistics in a fixed binary tree, so the merged
// result (and its rounding) depends only on the partition order, whoever
// merges: `fit-pca`, `run` and the cluster driver's pairwise merge tasks.
#pragma once

#include <utility>
#include <vector>

#include "core/status.h"
#include "reduce/pca_stats.h"

namespace verger {

// Merges partition statistics as they arrive in a binary tree (a carry
// chain: equal-sized subtrees merge at once), so at most log2(P) of them
// are held — statistics are D x D, 128 MiB each at D = 4096.
class StatsTreeMerger {
 public:
  Status Add(PcaStats stats);
  Result<PcaStats> Finish();  // InvalidArgument if nothing was added

 private:
  std::vector<std::pair<PcaStats, int>> stack_;  // (subtree, level)
};

// The same tree over a list (partition order).
Result<PcaStats> TreeMergeStats(std::vector<PcaStats> parts);

}  // namespace verger
