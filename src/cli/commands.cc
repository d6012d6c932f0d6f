#include "cli/commands.h"

#include <cstdio>

#include "core/did_you_mean.h"

namespace verger::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnsupported:
      return 2;
    // kCorrupt (a marker, manifest or statistics file of the job that is not
    // what it claims) is a failed job, 1. A damaged weights file reaches here
    // as kInvalidArgument (engine/model_loader.cc): configuration, 2.

    case StatusCode::kCancelled: return 130;  // as a shell reports SIGINT
    default:
      return 1;
  }
}

int Fail(const Status& status) {
  std::string msg = status.message();
  for (char& c : msg)
    if (c == '\n') c = ' ';
  if (status.code() == StatusCode::kCancelled) std::fprintf(stderr, "verger: %s\n", msg.c_str());
  else std::fprintf(stderr, "verger: error: %s\n", msg.c_str());
  return ExitCodeFor(status);
}

std::string CommandLine(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (i) out += ' ';
    std::string a = argv[i];
    if (a.find_first_of(" \t'\"") != std::string::npos) {
      std::string q = "'";
      for (char c : a) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    out += a;
  }
  return out;
}

Progress::Options LogChoice::Resolve() const {
  Progress::Options o;
  if (progress == "bar") o.mode = Progress::Mode::kBar;
  else if (progress == "log") o.mode = Progress::Mode::kLog;
  else if (progress == "none") o.mode = Progress::Mode::kQuiet;
  o.interval_s = interval_s;
  o.json = json();
  return o;
}

CLI::Validator OneOf(std::vector<std::string> allowed) {
  std::string names;
  for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
  return CLI::Validator(
      [allowed, names](std::string& value) -> std::string {
        for (const auto& a : allowed)
          if (value == a) return "";
        return "'" + value + "' is not one of " + names + DidYouMeanSuffix(value, allowed);
      },
      "{" + names + "}");
}

void AddCommonOptions(CLI::App* cmd, StoreOptions& store, LogChoice& log) {
  cmd->add_option("--s3-endpoint", store.s3_endpoint,
                  "S3-compatible endpoint URL for s3:// locations (default: AWS_ENDPOINT_URL or AWS)")
      ->group("Storage and logging");
  cmd->add_option("--s3-region", store.s3_region, "S3 region (default: AWS_REGION / profile / us-east-1)")
      ->group("Storage and logging");
  cmd->add_flag("--s3-path-style", store.s3_path_style, "Address buckets as endpoint/bucket/key")
      ->group("Storage and logging");
  cmd->add_option("--progress", log.progress,
                  "Progress display: auto (bar on a terminal, log lines otherwise), bar, log, none")
      ->capture_default_str()
      ->check(OneOf({"auto", "bar", "log", "none"}))
      ->group("Storage and logging");
  cmd->add_option("--progress-interval", log.interval_s, "Seconds between progress log lines")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Storage and logging");
  cmd->add_option("--log-format", log.format,
                  "Progress log lines and summary: text (timestamped lines) or json (one JSON object per line)")
      ->capture_default_str()
      ->check(OneOf({"text", "json"}))
      ->group("Storage and logging");
}

namespace {

// Names a user could have meant: the command's options and the subcommands.
std::vector<std::string> Candidates(const CLI::App& app, const CLI::App* cmd, bool short_names) {
  std::vector<std::string> out;
  const CLI::App& where = cmd ? *cmd : app;
  for (const CLI::Option* opt : where.get_options()) {
    for (const auto& n : opt->get_lnames()) out.push_back("--" + n);
    if (short_names)
      for (const auto& n : opt->get_snames()) out.push_back("-" + n);
  }
  if (!cmd)
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      out.push_back(sub->get_name());
  return out;
}

const CLI::App* ChosenCommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->parsed()) return sub;
  return nullptr;
}

}  // namespace

std::string ParseErrorLine(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* cmd = ChosenCommand(app);
  const std::string where = cmd ? "`verger " + cmd->get_name() + "`" : "verger";
  const std::string help = cmd ? "`verger " + cmd->get_name() + " --help`" : "`verger --help`";
  std::string line;
  std::vector<std::string> extras = cmd ? cmd->remaining() : std::vector<std::string>{};
  if (extras.empty()) extras = app.remaining();
  const bool extras_error = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr;
  const bool no_command = !cmd && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr;
  if ((extras_error || no_command) && !extras.empty()) {
    // Report the first unknown option (a stray word usually is its value),
    // or, with no command chosen, the word that should have been one.
    std::string token = extras.front();
    for (const auto& x : extras)
      if ((x.rfind("-", 0) == 0) == (cmd != nullptr)) {
        token = x;
        break;
      }
    const bool is_option = token.rfind("-", 0) == 0;
    std::string typed = token.substr(0, token.find('='));
    line = (is_option ? "unknown option '" : (cmd ? "unexpected argument '" : "unknown command '")) + typed +
           "' for " + where +
           DidYouMeanSuffix(typed, Candidates(app, cmd, is_option && typed.rfind("--", 0) != 0));
  } else if (no_command) {
    line = "give a command: extract, run, fit-pca, transform or inspect";
  } else {
    // CLI11's own words ("--input is required", our OneOf's "'gpu' is not
    // one of ..."), on one line.
    line = e.what();
    for (char& c : line)
      if (c == '\n') c = ' ';
  }
  return line + " (see " + help + ")";
}

}  // namespace verger::cli
