#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "engine/report.h"

namespace verger::cli {

void AddReportCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ReportOptions>();
  auto log = std::make_shared<LogChoice>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML page about an output (opens offline in any browser): images and failures per\n"
      "label, failed images by reason, time by pipeline stage, images/s over time, and the PCA pictures\n"
      "(explained variance, PC1/PC2 scatter). Example: verger report out/train  (writes out/train/report.html)");
  cmd->add_option("location", o->output, "Output folder (or s3://...) of extract/run")->required();
  cmd->add_option("--html", o->html, "Write the page to this local file instead of <location>/report.html");
  AddCommonOptions(cmd, o->store, *log);
  cmd->callback([&action, o, log] {
    action = [o]() -> int {
      auto r = RunReport(*o);
      if (!r.ok()) return Fail(r.status());
      std::printf("report: %s (%lld labels, %lld rows, %lld failed images in %lld reasons)\n", r->written.c_str(),
                  static_cast<long long>(r->labels), static_cast<long long>(r->images_ok),
                  static_cast<long long>(r->images_failed), static_cast<long long>(r->reasons));
      return 0;
    };
  });
}

}  // namespace verger::cli
