#include "cli/commands.h"

#include <cstdio>

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
    default:
      return 1;
  }
}

int Fail(const Status& status) {
  std::string msg = status.message();
  for (char& c : msg)
    if (c == '\n') c = ' ';
  std::fprintf(stderr, "verger: error: %s\n", msg.c_str());
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

}  // namespace verger::cli
