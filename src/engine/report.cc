#include "engine/report.h"
#include "core/json_field.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <span>

#include "core/file_util.h"
#include "core/markup.h"
#include "engine/image_listing.h"
#include "engine/output_layout.h"
#include "sink/csv_format.h"

namespace verger {
namespace {

using json = nlohmann::json;

std::string Html(std::string_view s) { return EscapeMarkup(s); }


struct LabelCount {
  int64_t ok = 0, failed = 0;
};

struct ReasonCount {
  int64_t count = 0;
  std::vector<std::string> examples;
};

// "corrupt JPEG: Premature end of data" -> "corrupt JPEG"; "truncated JPEG
// (12 bytes)" -> "truncated JPEG": the kind of failure, without the details
// that differ per image.
std::string ReasonKind(std::string reason) {
  if (auto colon = reason.find(": "); colon != std::string::npos) reason.resize(colon);
  if (auto paren = reason.find(" ("); paren != std::string::npos) reason.resize(paren);
  return reason.empty() ? "(no reason given)" : reason;
}

// Rows per label from the manifest's partitions (each table once, whatever
// the number of formats it was written in).
std::map<std::string, LabelCount> LabelCounts(const FeaturesManifest& manifest) {
  std::map<std::string, LabelCount> labels;
  for (const auto& p : manifest.partitions) {
    std::map<std::string, int64_t> rows;  // label -> rows in this partition
    for (const auto& f : p.files) rows[f.label] = f.rows;
    for (const auto& [label, n] : rows) labels[label].ok += n;
  }
  return labels;
}

// One horizontal bar per item, value printed at its end.
std::string BarsSvg(const std::vector<std::pair<std::string, double>>& items, const std::string& unit) {
  double top = 0;
  size_t longest = 0;
  for (const auto& [name, v] : items) top = std::max(top, v), longest = std::max(longest, name.size());
  const double label_w = 20 + 7.5 * static_cast<double>(longest), bar_w = 420, row = 26;
  const double width = label_w + bar_w + 110, height = row * static_cast<double>(items.size()) + 12;
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" )"
                                R"(viewBox="0 0 {0:.0f} {1:.0f}" role="img">)",
                                width, height);
  double y = 6;
  for (const auto& [name, v] : items) {
    const double w = top > 0 ? std::max(1.0, v / top * bar_w) : 1.0;
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end" font-size="13">{}</text>)", label_w - 8,
                       y + 15, Html(name));
    svg += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="18" fill="#1f77b4"/>)", label_w, y + 1, w);
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12">{:.2f} {}</text>)", label_w + w + 6, y + 15, v,
                       Html(unit));
    y += row;
  }
  return svg + "</svg>";
}

// A line through (x, y) points with axes; x and y start at 0.
std::string LineSvg(const std::vector<std::pair<double, double>>& points, const std::string& xlabel,
                    const std::string& ylabel) {
  const double width = 760, height = 300, left = 70, right = 20, top = 15, bottom = 45;
  double xmax = 1e-9, ymax = 1e-9;
  for (const auto& [x, y] : points) xmax = std::max(xmax, x), ymax = std::max(ymax, y);
  ymax *= 1.1;
  auto X = [&](double x) { return left + x / xmax * (width - left - right); };
  auto Y = [&](double y) { return height - bottom - y / ymax * (height - top - bottom); };
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" )"
                                R"(viewBox="0 0 {0:.0f} {1:.0f}" role="img">)",
                                width, height);
  svg += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#333"/>)", left,
                     top, width - left - right, height - top - bottom);
  for (int i = 0; i <= 4; ++i) {
    const double yv = ymax * i / 4, xv = xmax * i / 4;
    svg += fmt::format(R"(<line x1="{0:.1f}" x2="{1:.1f}" y1="{2:.1f}" y2="{2:.1f}" stroke="#ddd"/>)", left,
                       width - right, Y(yv));
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end" font-size="11">{:.3g}</text>)", left - 6,
                       Y(yv) + 4, yv);
    svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="11">{:.3g}</text>)", X(xv),
                       height - bottom + 16, xv);
  }
  std::string line;
  for (const auto& [x, y] : points) line += fmt::format("{:.1f},{:.1f} ", X(x), Y(y));
  svg += fmt::format(R"(<polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="2"/>)", line);
  for (const auto& [x, y] : points)
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="#1f77b4"/>)", X(x), Y(y));
  svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="13">{}</text>)",
                     (left + width - right) / 2, height - 8, Html(xlabel));
  svg += fmt::format(R"svg(<text x="14" y="{0:.1f}" text-anchor="middle" font-size="13" transform="rotate(-90 14 {0:.1f})">{1}</text>)svg",
                     (top + height - bottom) / 2, Html(ylabel));
  return svg + "</svg>";
}

// Images/s between consecutive partition completions (the manifest's
// timeline: computed partitions with start and end, Unix seconds).
std::vector<std::pair<double, double>> ThroughputOverTime(const std::vector<TimelineEntry>& timeline) {
  struct Done {
    double start, end;
    int64_t images;
  };
  std::vector<Done> done;
  for (const auto& t : timeline) done.push_back({t.started_at, t.finished_at, t.images});
  std::sort(done.begin(), done.end(), [](const Done& a, const Done& b) { return a.end < b.end; });
  std::vector<std::pair<double, double>> points;
  if (done.empty()) return points;
  double t0 = done[0].start;
  for (const auto& d : done) t0 = std::min(t0, d.start);
  double previous = t0;
  for (const auto& d : done) {
    const double span = d.end - previous;
    if (span > 1e-6) points.emplace_back(d.end - t0, static_cast<double>(d.images) / span);
    previous = d.end;
  }
  return points;
}

// An SVG file's text without its XML declaration, for inlining in HTML.
std::string InlineSvg(const std::vector<uint8_t>& bytes) {
  std::string s(bytes.begin(), bytes.end());
  if (s.rfind("<?xml", 0) == 0) {
    const auto end = s.find("?>");
    if (end != std::string::npos) s.erase(0, end + 2);
  }
  return s;
}

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:14px}.meta code{background:#f4f4f4;padding:1px 4px;border-radius:3px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:120px}
.card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#666}
table{border-collapse:collapse;font-size:14px}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.count{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;height:10px;background:#1f77b4;vertical-align:middle}
.scroll{max-height:480px;overflow:auto;border:1px solid #eee}
.missing{color:#a33}.figure svg{max-width:100%;height:auto}
input[type=search]{margin:8px 0;padding:4px 8px;width:280px}
)css";

constexpr const char* kScript = R"js(
document.getElementById('label-filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('#label-table tbody tr').forEach(function (tr) {
    tr.style.display = tr.dataset.label.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
  });
});
)js";

}  // namespace

Result<std::string> BuildReportHtml(const ObjectStore& store, ReportSummary* summary) {
  auto manifest_or = ReadManifest(store, kManifestKey);
  if (!manifest_or.ok()) {
    if (manifest_or.status().code() == StatusCode::kNotFound)
      return Status::NotFound(store.Describe(kManifestKey) +
                              ": no manifest, so nothing to report; run `verger extract` or `verger run` into " +
                              store.uri() + " first (or finish it with --resume)");
    return manifest_or.status();
  }
  const FeaturesManifest manifest = std::move(manifest_or).value();

  std::map<std::string, LabelCount> labels = LabelCounts(manifest);
  std::map<std::string, ReasonCount> reasons;
  bool have_errors_csv = false;
  const std::string root_label = RootLabel(manifest.input.value_or(""));
  const std::string errors_key = manifest.errors_file.value_or("").empty() ? kErrorsKey : *manifest.errors_file;
  if (auto raw = store.Read(errors_key); raw.ok()) {
    have_errors_csv = true;
    VERGER_ASSIGN_OR_RETURN(auto rows, ParseCsv(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()),
                                                store.Describe(errors_key)));
    for (size_t i = 1; i < rows.size(); ++i) {  // row 0: path,reason
      if (rows[i].size() < 2) continue;
      ReasonCount& r = reasons[ReasonKind(rows[i][1])];
      ++r.count;
      if (r.examples.size() < 3) r.examples.push_back(rows[i][0]);
      labels[LabelForKey(rows[i][0], root_label)].failed++;
    }
  } else if (raw.status().code() != StatusCode::kNotFound) {
    return raw.status();
  }

  int64_t ok = 0, failed = 0;
  for (const auto& [l, c] : labels) ok += c.ok, failed += c.failed;
  if (summary) {
    summary->labels = static_cast<int64_t>(labels.size());
    summary->reasons = static_cast<int64_t>(reasons.size());
    summary->images_ok = ok;
    summary->images_failed = failed;
  }

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  h += "<title>verger report: " + Html(store.uri()) + "</title><style>" + kStyle + "</style></head><body>\n";
  h += "<h1>verger report</h1>\n<p class=\"meta\">Output <code>" + Html(store.uri()) + "</code>";
  if (manifest.model)
    h += " &middot; model <code>" + Html(JsonField(*manifest.model, "name", "")) + "</code>";
  if (!manifest.backend.value_or("").empty()) h += " &middot; " + Html(*manifest.backend);
  if (!manifest.created.value_or("").empty()) h += " &middot; created " + Html(*manifest.created);
  h += "</p>\n";
  if (!manifest.command.value_or("").empty())
    h += "<p class=\"meta\">Command <code>" + Html(*manifest.command) + "</code></p>\n";

  auto card = [&](const std::string& id, const std::string& value, const std::string& key) {
    h += "<div class=\"card\" id=\"" + id + "\"><div class=\"v\">" + Html(value) + "</div><div class=\"k\">" + Html(key) +
         "</div></div>";
  };
  h += "<div class=\"cards\">";
  const auto& images = manifest.images;
  card("card-listed", fmt::format("{}", images ? images->listed : ok + failed), "images listed");
  card("card-ok", fmt::format("{}", images ? images->ok : ok), "feature rows");
  card("card-failed", fmt::format("{}", images ? images->failed : failed), "failed images");
  card("card-labels", fmt::format("{}", labels.size()), "labels");
  card("card-partitions", fmt::format("{}", manifest.partitions.size()), "partitions");
  if (manifest.wall_time_s) card("card-wall", fmt::format("{:.1f} s", *manifest.wall_time_s), "wall time");
  if (manifest.images_per_s) card("card-speed", fmt::format("{:.1f}", *manifest.images_per_s), "images/s");
  card("card-dim", fmt::format("{}", manifest.feature_dim), "feature dimension");
  h += "</div>\n";

  // Labels.
  h += "<h2 id=\"labels\">Images per label</h2>\n";
  int64_t top = 1;
  for (const auto& [l, c] : labels) top = std::max(top, c.ok + c.failed);
  h += "<input type=\"search\" id=\"label-filter\" placeholder=\"Filter labels\" aria-label=\"Filter labels\">\n";
  h += "<div class=\"scroll\"><table id=\"label-table\"><thead><tr><th>label</th><th>rows</th><th>failed</th><th></th></tr>"
       "</thead><tbody>\n";
  for (const auto& [l, c] : labels) {
    const std::string& name = l;
    h += fmt::format("<tr data-label=\"{0}\"><td class=\"label\">{0}</td><td class=\"count ok\">{1}</td>"
                     "<td class=\"count failed\">{2}</td><td><span class=\"bar\" style=\"width:{3:.0f}px\"></span></td></tr>\n",
                     Html(name), c.ok, c.failed, 240.0 * static_cast<double>(c.ok + c.failed) / static_cast<double>(top));
  }
  h += "</tbody></table></div>\n";

  // Errors.
  h += "<h2 id=\"errors\">Failed images by reason</h2>\n";
  if (!have_errors_csv) {
    h += "<p class=\"missing\">No " + Html(errors_key) + " in this output.</p>\n";
  } else if (reasons.empty()) {
    h += "<p id=\"no-errors\">No image failed.</p>\n";
  } else {
    std::vector<std::pair<std::string, ReasonCount>> sorted(reasons.begin(), reasons.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
    h += "<p>Every failed image, with its full reason, is in <code>" + Html(store.Describe(errors_key)) + "</code>.</p>\n";
    h += "<table id=\"reason-table\"><thead><tr><th>reason</th><th>images</th><th>examples</th></tr></thead><tbody>\n";
    for (const auto& [reason, r] : sorted) {
      std::string examples;
      for (const auto& e : r.examples) examples += (examples.empty() ? "" : ", ") + Html(e);
      h += fmt::format("<tr><td class=\"reason\">{}</td><td class=\"count\">{}</td><td>{}</td></tr>\n", Html(reason),
                       r.count, examples);
    }
    h += "</tbody></table>\n";
  }

  // Time.
  h += "<h2 id=\"time\">Time by stage</h2>\n";
  if (manifest.stage_seconds) {
    std::vector<std::pair<std::string, double>> stages;
    const json seconds = manifest.stage_seconds->ToJson();  // items() must not outlive it
    for (const auto& [k, v] : seconds.items()) stages.emplace_back(k, v.get<double>());
    if (manifest.wall_time_s) stages.emplace_back("wall time (total)", *manifest.wall_time_s);
    h += "<p class=\"meta\">read and decode are summed over their threads and can exceed the wall time; "
         "wait_for_input well above zero means reading or decoding could not keep the model fed.</p>\n";
    h += "<div class=\"figure\" id=\"stage-chart\">" + BarsSvg(stages, "s") + "</div>\n";
  } else {
    h += "<p class=\"missing\">This manifest has no stage_seconds (written by an older verger).</p>\n";
  }
  h += "<h2 id=\"speed\">Images/s over time</h2>\n";
  const auto points = manifest.timeline ? ThroughputOverTime(*manifest.timeline)
                                         : std::vector<std::pair<double, double>>{};
  if (points.empty()) {
    h += "<p class=\"missing\">No per-partition timing in this manifest (resumed partitions and cluster runs "
         "record none).</p>\n";
  } else {
    h += "<p class=\"meta\">Images completed per second between consecutive partition completions.</p>\n";
    h += "<div class=\"figure\" id=\"speed-chart\">" + LineSvg(points, "seconds since the job started", "images/s") +
         "</div>\n";
  }

  // PCA.
  h += "<h2 id=\"pca\">PCA</h2>\n";
  bool any_picture = false;
  for (const char* key : {"pca/explained_variance.svg", "pca/scatter_pc1_pc2.svg"}) {
    auto svg = store.Read(key);
    if (svg.ok()) {
      h += std::string("<div class=\"figure\" id=\"") + (std::string_view(key).find("scatter") != std::string_view::npos
                                                            ? "pca-scatter" : "pca-variance") +
           "\">" + InlineSvg(*svg) + "</div>\n";
      any_picture = true;
    } else if (svg.status().code() != StatusCode::kNotFound) {
      return svg.status();
    }
  }
  if (!any_picture) h += "<p class=\"missing\">No PCA pictures: run <code>verger fit-pca</code> and "
                         "<code>verger transform</code> (or <code>verger run</code>).</p>\n";
  h += "<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return h;
}

Result<ReportSummary> RunReport(const ReportOptions& options) {
  VERGER_ASSIGN_OR_RETURN(auto store, OpenObjectStore(options.output, options.store));
  ReportSummary summary;
  VERGER_ASSIGN_OR_RETURN(std::string html, BuildReportHtml(*store, &summary));
  if (options.html.empty()) {
    VERGER_RETURN_IF_ERROR(store->WriteAtomic("report.html", std::span<const uint8_t>(
                                                                 reinterpret_cast<const uint8_t*>(html.data()), html.size())));
    summary.written = store->Describe("report.html");
  } else {
    VERGER_RETURN_IF_ERROR(WriteFileAtomic(options.html, std::string_view(html)));
    summary.written = options.html;
  }
  return summary;
}

}  // namespace verger
