// verger command-line entry point. Exceptions stop here: the library speaks
// Status, this file turns it into messages and exit codes.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/commands.h"
#include "engine/interrupt.h"

int main(int argc, char** argv) {
  using namespace verger::cli;
  CLI::App app{
      "verger: turn large image collections into compact feature tables.\n"
      "Pipeline: list images (label = parent folder) -> decode -> resize (Pillow-exact) -> normalise (Keras modes)\n"
      "-> CNN forward pass in batches -> feature rows per label and partition -> manifest.\n"
      "Run `verger <command> --help` for a command's options."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "verger " VERGER_VERSION);
  Action action;
  const std::string command_line = CommandLine(argc, argv);
  AddExtractCommand(app, action, command_line);
  AddPcaCommands(app, action, command_line);
  AddInspectCommand(app, action);
  AddReportCommand(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "verger: error: %s\n", ParseErrorLine(app, e).c_str());
    return 2;
  }
  verger::InstallInterruptHandlers();
  try {
    return action ? action() : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "verger: internal error: %s\n", e.what());
    return 1;
  }
}
