#include "reduce/pca_plots.h"

#include "core/markup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace verger {

namespace {

// tab10 followed by the light half of tab20: distinguishable categories.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                    "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                                    "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
// Legend entries at the right of the plot up to this many; more go below it, in columns.
constexpr size_t kSideLegendMax = 24;
constexpr double kLegendRow = 18;
// Average advance of a 12 px sans-serif character, generous so names are never clipped.
constexpr double kCharWidth = 7.2;

// About `target` round tick values (1, 2 or 5 times a power of ten) in [lo, hi].
std::vector<double> NiceTicks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string TickLabel(double v) {
  std::string s = fmt::format("{:.6g}", v);
  return s;
}

// Plot frame: maps data coordinates to pixels inside the margins.
struct Frame {
  double width, height, left, right, top, bottom;
  double x0, x1, y0, y1;  // data ranges
  double X(double x) const { return left + (x - x0) / (x1 - x0) * (width - left - right); }
  double Y(double y) const { return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom); }
};

void Axes(std::string& svg, const Frame& f, const std::vector<double>& xticks, const std::vector<double>& yticks,
          const std::string& xlabel, const std::string& ylabel, const std::string& title) {
  const double px0 = f.left, px1 = f.width - f.right, py0 = f.height - f.bottom, py1 = f.top;
  svg += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#333"/>)"
                     "\n",
                     px0, py1, px1 - px0, py0 - py1);
  for (double t : xticks) {
    const double x = f.X(t);
    svg += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#333"/>)", x, py0, x, py0 + 5);
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle">{}</text>)"
                       "\n",
                       x, py0 + 18, TickLabel(t));
  }
  for (double t : yticks) {
    const double y = f.Y(t);
    svg += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#333"/>)", px0 - 5, y, px0, y);
    svg += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#ddd"/>)", px0, y, px1, y);
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)"
                       "\n",
                       px0 - 8, y + 4, TickLabel(t));
  }
  svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="13" text-anchor="middle">{}</text>)"
                     "\n",
                     (px0 + px1) / 2, f.height - 15, EscapeMarkup(xlabel));
  svg += fmt::format(
      R"svg(<text x="{:.1f}" y="{:.1f}" font-size="13" text-anchor="middle" transform="rotate(-90 {:.1f} {:.1f})">{}</text>)svg"
      "\n",
      18.0, (py0 + py1) / 2, 18.0, (py0 + py1) / 2, EscapeMarkup(ylabel));
  svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="15" text-anchor="middle">{}</text>)"
                     "\n",
                     (px0 + px1) / 2, 24.0, EscapeMarkup(title));
}

double TextWidth(const std::string& s) {
  size_t chars = 0;  // UTF-8: count code points, not bytes
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return static_cast<double>(chars) * kCharWidth;
}

std::string Header(double width, double height) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif">)"
      "\n"
      R"(<rect width="{0}" height="{1}" fill="white"/>)"
      "\n",
      width, height);
}

}  // namespace

std::string ExplainedVarianceSvg(const std::vector<double>& ratios, int64_t chosen_k) {
  const int64_t len = static_cast<int64_t>(ratios.size());
  const int64_t shown = std::min<int64_t>({len, std::max<int64_t>(2 * chosen_k, 10), 1024});
  Frame f{820, 500, 70, 170, 40, 55, 0.5, static_cast<double>(std::max<int64_t>(shown, 1)) + 0.5, 0.0, 1.0};
  std::string svg = Header(f.width, f.height);
  std::vector<double> xticks;
  for (double t : NiceTicks(1, std::max<int64_t>(shown, 1), 8))
    if (t >= 1 && t == std::floor(t)) xticks.push_back(t);
  Axes(svg, f, xticks, NiceTicks(0, 1, 5), "Principal component", "Explained variance ratio",
       fmt::format("Explained variance ({} components kept of {})", chosen_k, len));

  const double bar = std::max(0.5, (f.X(2) - f.X(1)) * 0.8);
  std::string line;
  double cumulative = 0, at_k = 0;
  for (int64_t i = 0; i < len; ++i) {
    cumulative += ratios[i];
    if (i + 1 == chosen_k) at_k = cumulative;
    if (i >= shown) continue;
    const double x = f.X(static_cast<double>(i + 1)), y = f.Y(std::clamp(ratios[i], 0.0, 1.0));
    svg += fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}"/>)"
                       "\n",
                       x - bar / 2, y, bar, f.Y(0) - y, i < chosen_k ? "#1f77b4" : "#aec7e8");
    line += fmt::format("{:.2f},{:.2f} ", x, f.Y(std::clamp(cumulative, 0.0, 1.0)));
  }
  if (!line.empty())
    svg += fmt::format(R"(<polyline points="{}" fill="none" stroke="#d62728" stroke-width="2"/>)"
                       "\n",
                       line);
  if (chosen_k >= 1) {
    const double x = f.X(static_cast<double>(std::min(chosen_k, std::max<int64_t>(shown, 1))));
    svg += fmt::format(
        R"(<line x1="{0:.2f}" y1="{1:.2f}" x2="{0:.2f}" y2="{2:.2f}" stroke="#2ca02c" stroke-width="2" stroke-dasharray="6,4"/>)"
        "\n",
        x, f.Y(0), f.Y(1));
    svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" font-size="12" fill="#2ca02c">K = {} ({:.1f}%)</text>)"
                       "\n",
                       x + 4, f.Y(1) + 14, chosen_k, 100 * at_k);
  }
  // Legend.
  const double lx = f.width - f.right + 15;
  svg += fmt::format(R"(<rect x="{:.1f}" y="60" width="14" height="10" fill="#1f77b4"/>)", lx);
  svg += fmt::format(R"(<text x="{:.1f}" y="70" font-size="12">per component</text>)"
                     "\n",
                     lx + 20);
  svg += fmt::format(R"(<line x1="{:.1f}" y1="90" x2="{:.1f}" y2="90" stroke="#d62728" stroke-width="2"/>)", lx,
                     lx + 14);
  svg += fmt::format(R"(<text x="{:.1f}" y="94" font-size="12">cumulative</text>)"
                     "\n",
                     lx + 20);
  svg += fmt::format(
      R"(<line x1="{0:.1f}" y1="110" x2="{1:.1f}" y2="110" stroke="#2ca02c" stroke-width="2" stroke-dasharray="6,4"/>)",
      lx, lx + 14);
  svg += fmt::format(R"(<text x="{:.1f}" y="114" font-size="12">chosen K</text>)"
                     "\n",
                     lx + 20);
  svg += "</svg>\n";
  return svg;
}

std::string ExplainedVarianceSvg(const PcaModel& model) {
  std::vector<double> ratios(model.spectrum().size());
  for (size_t i = 0; i < ratios.size(); ++i) ratios[i] = model.spectrum()[i] / model.total_variance();
  return ExplainedVarianceSvg(ratios, model.components());
}

std::string CategoryColour(size_t index, size_t count) {
  if (count <= kPaletteSize) return kPalette[index];
  // Many categories: hues a golden angle apart, cycling through three
  // lightness and two saturation levels, so neighbours in the sorted order
  // differ strongly and no colour repeats up to hundreds of labels.
  const double hue = std::fmod(static_cast<double>(index) * 137.50776405, 360.0);
  const double lightness = (index % 3 == 0) ? 0.42 : (index % 3 == 1 ? 0.58 : 0.32);
  const double saturation = (index / 3) % 2 == 0 ? 0.85 : 0.6;
  // HSL -> RGB.
  const double c = (1 - std::fabs(2 * lightness - 1)) * saturation;
  const double hp = hue / 60.0;
  const double x = c * (1 - std::fabs(std::fmod(hp, 2.0) - 1));
  double r = 0, g = 0, b = 0;
  if (hp < 1) r = c, g = x;
  else if (hp < 2) r = x, g = c;
  else if (hp < 3) g = c, b = x;
  else if (hp < 4) g = x, b = c;
  else if (hp < 5) r = x, b = c;
  else r = c, b = x;
  const double m = lightness - c / 2;
  auto byte = [&](double v) { return static_cast<int>(std::lround(std::clamp(v + m, 0.0, 1.0) * 255)); };
  return fmt::format("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b));
}

std::string AxisTitle(const char* name, double ratio) {
  if (!(ratio >= 0)) return name;
  return fmt::format("{} ({:.1f}% of variance)", name, 100 * ratio);
}

Result<std::string> ScatterSvg(const std::vector<float>& pc1, const std::vector<float>& pc2,
                               const std::vector<std::string>& labels, double pc1_ratio, double pc2_ratio) {
  if (pc1.size() != pc2.size() || (!labels.empty() && labels.size() != pc1.size()))
    return Status::InvalidArgument("PCA scatter plot: " + std::to_string(pc1.size()) + " PC1 values, " +
                                   std::to_string(pc2.size()) + " PC2 values and " + std::to_string(labels.size()) +
                                   " labels (sizes must match)");
  const int64_t n = static_cast<int64_t>(pc1.size());
  std::vector<int64_t> rows;
  if (n <= kScatterMaxPoints) {
    for (int64_t i = 0; i < n; ++i) rows.push_back(i);
  } else {
    for (int64_t j = 0; j < kScatterMaxPoints; ++j) rows.push_back(j * n / kScatterMaxPoints);
  }
  std::vector<int64_t> kept;
  for (int64_t i : rows)
    if (std::isfinite(pc1[i]) && std::isfinite(pc2[i])) kept.push_back(i);

  std::map<std::string, std::string> colour;  // label -> colour, labels sorted
  for (const auto& l : labels) colour.emplace(l, "");
  double longest = 0;
  {
    size_t next = 0;
    for (auto& [label, c] : colour) {
      c = CategoryColour(next++, colour.size());
      longest = std::max(longest, TextWidth(label));
    }
  }

  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (!kept.empty()) {
    x0 = x1 = pc1[kept[0]];
    y0 = y1 = pc2[kept[0]];
    for (int64_t i : kept) {
      x0 = std::min<double>(x0, pc1[i]), x1 = std::max<double>(x1, pc1[i]);
      y0 = std::min<double>(y0, pc2[i]), y1 = std::max<double>(y1, pc2[i]);
    }
    const double px = std::max(1e-12, (x1 - x0) * 0.05), py = std::max(1e-12, (y1 - y0) * 0.05);
    x0 -= px, x1 += px, y0 -= py, y1 += py;
  }
  // Legend: beside the plot, as wide as the longest name, for a few labels;
  // below it, in as many columns as fit, for many.
  const double entry_width = 16 + longest + 14;
  const bool side = colour.size() <= kSideLegendMax;
  const double plot_width = 820;
  const double right = side ? std::max(60.0, entry_width + 20) : 40;
  double width = plot_width + (side ? right - 40 : 0);
  size_t columns = 1, legend_rows = 0;
  if (!side) {
    columns = std::max<size_t>(1, static_cast<size_t>((width - 40) / entry_width));
    legend_rows = (colour.size() + columns - 1) / columns;
  }
  const double plot_height = 620;
  const double height = plot_height + (side ? 0 : 20 + legend_rows * kLegendRow);
  Frame f{width, plot_height, 80, right, 40, 55, x0, x1, y0, y1};
  std::string svg = Header(width, height);
  Axes(svg, f, NiceTicks(x0, x1, 6), NiceTicks(y0, y1, 6), AxisTitle("PC1", pc1_ratio), AxisTitle("PC2", pc2_ratio),
       fmt::format("PCA: PC1 vs PC2 ({} of {} rows, {} labels)", kept.size(), n, colour.size()));
  for (int64_t i : kept) {
    const std::string& fill = labels.empty() ? std::string(kPalette[0]) : colour[labels[i]];
    svg += fmt::format(R"(<circle cx="{:.2f}" cy="{:.2f}" r="2.5" fill="{}" fill-opacity="0.7"/>)"
                       "\n",
                       f.X(pc1[i]), f.Y(pc2[i]), fill);
  }
  size_t entry = 0;
  for (const auto& [label, fill] : colour) {
    double lx, ly;
    if (side) {
      lx = f.width - f.right + 15, ly = 60 + entry * kLegendRow;
    } else {
      lx = 40 + (entry / legend_rows) * entry_width, ly = plot_height + 10 + (entry % legend_rows) * kLegendRow;
    }
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="5" fill="{}"/>)", lx + 5, ly, fill);
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12">{}</text>)"
                       "\n",
                       lx + 16, ly + 4, EscapeMarkup(label));
    ++entry;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace verger
