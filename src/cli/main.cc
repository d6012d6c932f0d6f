// verger command-line entry point; subcommands are added as the engine grows.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"verger: turn image collections into compact feature tables"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
