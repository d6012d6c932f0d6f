// `verger report`: one self-contained HTML page (inline CSS, SVG and a few
// lines of JS; no external resources) describing an output: counts per label
// and per error reason, time by stage, images/s over time, and the PCA
// pictures. Reads only what the output holds (manifest.json, errors.csv,
// pca/*.svg); fields an older manifest lacks are reported as missing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "io/object_store.h"

namespace verger {

struct ReportOptions {
  std::string output;  // an extract/run output (folder or s3://...)
  std::string html;    // where to write the page; empty = report.html inside the output
  StoreOptions store;
};

struct ReportSummary {
  std::string written;  // where the page went (path or URI)
  int64_t labels = 0, reasons = 0, images_ok = 0, images_failed = 0;
};

// The page for the output in `store`. NotFound (saying to run
// `verger extract` or `verger run`) when it has no manifest.json.
Result<std::string> BuildReportHtml(const ObjectStore& store, ReportSummary* summary);

// Builds the page and writes it (atomically) where `options` says.
Result<ReportSummary> RunReport(const ReportOptions& options);

}  // namespace verger
