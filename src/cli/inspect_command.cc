#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "engine/inspect.h"

namespace verger::cli {

void AddInspectCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<InspectOptions>();
  auto log = std::make_shared<LogChoice>();  // accepted like everywhere; inspect prints no progress
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Summarise an output location (manifest: model, counts, partitions, speed, PCA) and print the first rows\n"
      "of its first table, whatever its format. Example: verger inspect out/train --dataset reduced");
  cmd->add_option("location", o->location, "Output folder (or s3://...) of extract/run")->required();
  cmd->add_option("--dataset", o->dataset, "features or reduced")->capture_default_str()->check(OneOf({"features", "reduced"}));
  cmd->add_option("-n,--rows", o->rows, "Rows to show")->capture_default_str();
  cmd->add_option("--columns", o->columns, "Values per row to show")->capture_default_str();
  AddCommonOptions(cmd, o->store, *log);
  cmd->callback([&action, o] {
    action = [o]() -> int {
      auto r = InspectOutput(*o);
      if (!r.ok()) return Fail(r.status());
      std::fputs(r->c_str(), stdout);
      return 0;
    };
  });
}

}  // namespace verger::cli
