#include "engine/extract_plan.h"

#include <algorithm>

#include <set>

#include "engine/output_layout.h"
#include "engine/partition.h"

namespace verger {

Result<ExtractPlan> PlanExtract(const ExtractOptions& o) {
  if (o.partition_size < 1) return Status::InvalidArgument("--partition-size must be at least 1");
  if (o.resume && o.overwrite) return Status::InvalidArgument("give --resume or --overwrite, not both");
  VERGER_ASSIGN_OR_RETURN(auto extractor, Extractor::Create(o));
  VERGER_ASSIGN_OR_RETURN(auto input, OpenObjectStore(o.input, o.store));
  VERGER_ASSIGN_OR_RETURN(ImageListing listing, ListJobImages(*input, o));

  ExtractPlan plan;
  plan.input_uri = input->uri();
  plan.model = extractor->spec().name;
  plan.backend = extractor->backend_description();
  plan.feature_dim = extractor->feature_dim();
  plan.images = static_cast<int64_t>(listing.images.size());
  plan.listing_problems = static_cast<int64_t>(listing.problems.size());
  for (const auto& item : listing.images) ++plan.images_per_label[item.label];
  std::vector<PartitionRange> partitions;
  // --resume keeps the earlier run's boundaries (PartitionCutter): planned once the output is read.
  auto cut = [&](const std::vector<PartitionBoundary>& boundaries) {
    partitions = PlanPartitions(
        plan.images, [&](int64_t i) -> std::string_view { return listing.images[i].key; }, o.partition_size,
        boundaries);
    plan.partitions = static_cast<int64_t>(partitions.size());
    plan.largest_partition = 0;
    for (const auto& part : partitions) plan.largest_partition = std::max(plan.largest_partition, part.end - part.begin);
    plan.tables = 0;
    for (const auto& part : partitions) {
      std::set<std::string> labels;
      for (int64_t i = part.begin; i < part.end; ++i) labels.insert(listing.images[i].label);
      plan.tables += static_cast<int64_t>(labels.size());
    }
  };
  cut({});
  plan.partition_size = o.partition_size;
  plan.formats = o.formats;

  // The output as it is; opened without creating it.
  auto output = OpenObjectStore(o.output, o.store);
  if (!output.ok()) {
    if (output.status().code() != StatusCode::kNotFound) return output.status();
    plan.output_uri = o.output;
    plan.output_state = "does not exist yet; would be created";
    return plan;
  }
  plan.output_uri = (*output)->uri();
  VERGER_ASSIGN_OR_RETURN(Listing existing, (*output)->List(""));
  if (existing.objects.empty()) {
    plan.output_state = "empty";
  } else if (o.resume) {
    VERGER_ASSIGN_OR_RETURN(auto sizes, ObjectSizes(**output));
    VERGER_ASSIGN_OR_RETURN(auto boundaries, ReadPartitionBoundaries(**output));
    cut(boundaries);
    for (const auto& part : partitions) {
      std::vector<ImageItem> items(listing.images.begin() + part.begin, listing.images.begin() + part.end);
      VERGER_ASSIGN_OR_RETURN(auto complete, CompletePartition(**output, sizes, *extractor, items, part.index));
      plan.partitions_complete += complete.has_value();
    }
    plan.output_state = "--resume: " + std::to_string(plan.partitions_complete) + " of " +
                        std::to_string(plan.partitions) + " partitions complete and kept";
  } else {
    VERGER_RETURN_IF_ERROR(RefuseNonEmptyOutput(**output, existing, o.overwrite));
    plan.output_state = "--overwrite: verger's files there (" + std::to_string(existing.objects.size()) +
                        " files in all) would be replaced";
  }
  return plan;
}

std::string DescribePlan(const ExtractPlan& p, bool with_pca) {
  std::string formats;
  for (const auto& f : p.formats) formats += (formats.empty() ? "" : ", ") + f;
  std::string out = "verger: dry run, nothing written\n";
  out += "  input:      " + p.input_uri + ": " + std::to_string(p.images) + " images in " +
         std::to_string(p.images_per_label.size()) + " labels";
  if (p.listing_problems > 0) out += " (+" + std::to_string(p.listing_problems) + " unusable entries -> errors.csv)";
  out += "\n";
  for (const auto& [label, n] : p.images_per_label) out += "    " + label + ": " + std::to_string(n) + "\n";
  out += "  model:      " + p.model + " (" + std::to_string(p.feature_dim) + "-d features) on " + p.backend + "\n";
  out += "  partitions: " + std::to_string(p.partitions) + " of up to " + std::to_string(p.partition_size) + " images";
  if (p.largest_partition > p.partition_size)
    out += " (the largest " + std::to_string(p.largest_partition) + ": --resume keeps earlier partitions, grown)";
  out += "\n";
  out += "  output:     " + p.output_uri + " (" + p.output_state + ")\n";
  out += "    features/label=<Label>/part-NNNNN.<fmt>: " + std::to_string(p.tables) + " tables x " + formats + "\n";
  out += "    _partitions/part-NNNNN.json: " + std::to_string(p.partitions) + " completion markers\n";
  if (with_pca) out += "    pca/ (model, plots), reduced/label=<Label>/part-NNNNN.<fmt>: the projected tables\n";
  out += "    errors.csv, manifest.json\n";
  return out;
}

}  // namespace verger
