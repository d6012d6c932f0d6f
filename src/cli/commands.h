// Each subcommand registers its options on the app and returns the action
// to run if it is the one chosen. Actions return the process exit code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/status.h"
#include "engine/extract_job.h"

namespace verger::cli {

using Action = std::function<int()>;

// 0 success, 1 job failure (incl. --max-errors exceeded), 2 usage or
// configuration (bad option, input, model, weights or output location),
// 130 interrupted (SIGINT/SIGTERM). The one place Status codes become exit codes.
int ExitCodeFor(const Status& status);
// Prints "verger: error: <message>" (one line; "verger: interrupted: ..."
// for an interrupted job) and returns ExitCodeFor.
int Fail(const Status& status);

// The full command line, for manifests.
std::string CommandLine(int argc, char** argv);

// How progress and log lines look (--progress, --progress-interval, --log-format).
struct LogChoice {
  std::string progress = "auto";
  double interval_s = 10;
  std::string format = "text";
  Progress::Options Resolve() const;
  bool json() const { return format == "json"; }
};

// The options every subcommand takes: S3 addressing and progress/logging.
void AddCommonOptions(CLI::App* cmd, StoreOptions& store, LogChoice& log);

// A CLI11 validator accepting one of `allowed`, whose error names them and
// suggests the nearest.
CLI::Validator OneOf(std::vector<std::string> allowed);

// One line for a CLI11 parse error: "unknown option '--modle' for `verger
// extract`; did you mean '--model'? (see `verger extract --help`)".
std::string ParseErrorLine(const CLI::App& app, const CLI::ParseError& e);

void AddExtractCommand(CLI::App& app, Action& action, const std::string& command_line);
void AddPcaCommands(CLI::App& app, Action& action, const std::string& command_line);
void AddInspectCommand(CLI::App& app, Action& action);
void AddReportCommand(CLI::App& app, Action& action);

// Options shared by every command that extracts (extract, run).
void AddExtractOptions(CLI::App* cmd, ExtractOptions& options, LogChoice& log);
// The summary of an extract (text or, with --log-format json, one object).
void PrintExtractSummary(const ExtractSummary& summary, const LogChoice& log);
// --dry-run: what an extract would do, without writing.
int PrintExtractPlan(const ExtractOptions& options, bool with_pca);

}  // namespace verger::cli
