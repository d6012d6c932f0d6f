// verger command-line entry point. Exceptions stop here: the library speaks
// Status, this file turns it into messages and exit codes.
#include <malloc.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/commands.h"
#include "engine/interrupt.h"

int main(int argc, char** argv) {
  // Inference frees and re-allocates tens of MB per layer; by default glibc
  // hands such blocks back to the kernel each time and the page faults cost
  // up to 3x at batch 32 (docs/benchmarks.md). Keep them in the heap.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // LibTorch's OpenMP workers spin between layers by default, starving the
  // decode threads (and anything else) on a small machine: 4x slower when
  // cores are shared. libgomp reads the policy only when it loads, so set
  // it and restart once.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) {
    execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
  }
  using namespace verger::cli;
  CLI::App app{
      "verger: turn large image collections into compact feature tables.\n"
      "Pipeline: list images (label = parent folder) -> decode -> resize (Pillow-exact) -> normalise (Keras modes)\n"
      "-> CNN forward pass in batches -> feature rows per label and partition -> manifest.\n"
      "Run `verger <command> --help` for a command's options."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "verger 0.1.0");
  Action action;
  const std::string command_line = CommandLine(argc, argv);
  AddExtractCommand(app, action, command_line);
  AddPcaCommands(app, action, command_line);
  AddInspectCommand(app, action);
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
