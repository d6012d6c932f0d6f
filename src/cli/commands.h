// Each subcommand registers its options on the app and returns the action
// to run if it is the one chosen. Actions return the process exit code.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "core/status.h"
#include "engine/extract_job.h"

namespace verger::cli {

using Action = std::function<int()>;

// 0 success, 1 job failure (incl. --max-errors exceeded), 2 usage/config.
int ExitCodeFor(const Status& status);
// Prints "verger: error: <message>" (one line) and returns ExitCodeFor.
int Fail(const Status& status);

// The full command line, for manifests.
std::string CommandLine(int argc, char** argv);

void AddExtractCommand(CLI::App& app, Action& action, const std::string& command_line);
void AddPcaCommands(CLI::App& app, Action& action, const std::string& command_line);
void AddInspectCommand(CLI::App& app, Action& action);
void AddReportCommand(CLI::App& app, Action& action);

// Options shared by every command that extracts (extract, run).
void AddExtractOptions(CLI::App* cmd, ExtractOptions& options, std::string& progress);
Progress::Mode ProgressMode(const std::string& s);
void PrintExtractSummary(const ExtractSummary& summary);

}  // namespace verger::cli
