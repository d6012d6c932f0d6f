#include "reduce/stats_tree.h"

namespace verger {

Status StatsTreeMerger::Add(PcaStats stats) {
  stack_.emplace_back(std::move(stats), 0);
  while (stack_.size() >= 2 && stack_[stack_.size() - 2].second == stack_.back().second) {
    auto right = std::move(stack_.back());
    stack_.pop_back();
    VERGER_RETURN_IF_ERROR(stack_.back().first.Merge(right.first));
    ++stack_.back().second;
  }
  return Status::OK();
}

Result<PcaStats> StatsTreeMerger::Finish() {
  if (stack_.empty()) return Status::InvalidArgument("no PCA statistics to merge (no partitions)");
  while (stack_.size() > 1) {
    auto right = std::move(stack_.back());
    stack_.pop_back();
    VERGER_RETURN_IF_ERROR(stack_.back().first.Merge(right.first));
  }
  PcaStats out = std::move(stack_.back().first);
  stack_.clear();
  return out;
}

Result<PcaStats> TreeMergeStats(std::vector<PcaStats> parts) {
  StatsTreeMerger merger;
  for (auto& p : parts) VERGER_RETURN_IF_ERROR(merger.Add(std::move(p)));
  return merger.Finish();
}

}  // namespace verger
