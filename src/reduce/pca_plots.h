// PCA pictures as self-contained SVG text (no plotting library): a scree
// chart of explained variance and a PC1/PC2 scatter coloured by label.
// Pure functions of their inputs; thread-safe; output is deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "reduce/pca_model.h"

namespace verger {

// At most this many points are drawn by ScatterSvg.
inline constexpr int64_t kScatterMaxPoints = 5000;

// Bars: explained variance ratio per component; line: cumulative ratio; a
// dashed marker at `chosen_k` with its cumulative percentage. Shows the first
// min(len, max(2 * chosen_k, 10), 1024) components of `ratios` (descending
// per-component ratios, e.g. spectrum / total variance).
std::string ExplainedVarianceSvg(const std::vector<double>& ratios, int64_t chosen_k);
// The same for a fitted model: its spectrum, marked at its component count.
std::string ExplainedVarianceSvg(const PcaModel& model);

// Scatter of (pc1[i], pc2[i]) coloured by labels[i], with a legend of every
// label (sorted; colours follow that order and stay distinct, without
// repeats, for hundreds of labels; names are never clipped: the legend sits
// beside the plot for a few labels, below it in columns for many). Axis
// titles give each component's share of the variance when its ratio
// (pc1_ratio, pc2_ratio; negative = unknown) is given. When there are more than
// kScatterMaxPoints points, rows floor(j * n / kScatterMaxPoints) for
// j = 0 .. kScatterMaxPoints - 1 are drawn (deterministic, keeps label
// proportions of label-sorted rows). Non-finite points are skipped.
// `labels` may be empty (one colour, no legend). InvalidArgument if the
// sizes differ.
Result<std::string> ScatterSvg(const std::vector<float>& pc1, const std::vector<float>& pc2,
                               const std::vector<std::string>& labels, double pc1_ratio = -1, double pc2_ratio = -1);

// Colour of category `index` of `count` (CSS hex): tab10/tab20 for up to 20,
// else evenly spread distinct hues and lightnesses. Deterministic.
std::string CategoryColour(size_t index, size_t count);

}  // namespace verger
