#include "engine/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include <nlohmann/json.hpp>

namespace verger {

namespace {

struct Rates {
  int64_t done;
  double rate, eta, frac;
};

Rates RatesOf(const ProgressSnapshot& s) {
  Rates r;
  r.done = s.ok + s.failed;
  r.rate = s.elapsed_s > 0 ? r.done / s.elapsed_s : 0;
  r.eta = r.rate > 0 ? (s.total - r.done) / r.rate : -1;
  r.frac = s.total > 0 ? static_cast<double>(r.done) / s.total : 1.0;
  return r;
}

std::string Printf(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace

std::string FormatDuration(double s) {
  if (s < 0 || s > 1e7) return "--:--";
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) return Printf("%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return Printf("%02ld:%02ld", t / 60, t % 60);
}

std::string Iso8601UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int TerminalColumns() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 80;
}

std::string FormatProgressBar(const ProgressSnapshot& s, int columns) {
  const Rates r = RatesOf(s);
  const int room = std::max(1, columns - 1);
  // Parts in display order; `drop` ranks which go first when space is short.
  struct Part {
    std::string text;
    int drop;  // higher = dropped earlier; 0 = kept as long as anything is shown
  };
  std::vector<Part> parts = {
      {s.what, 4},
      {Printf("%lld/%lld", static_cast<long long>(r.done), static_cast<long long>(s.total)), 0},
      {Printf("%.1f%%", 100 * r.frac), 1},
      {Printf("%.1f img/s", r.rate), 5},
      {FormatDuration(s.elapsed_s) + " elapsed", 6},
      {"ETA " + FormatDuration(r.eta), 3},
  };
  if (s.failed > 0) parts.push_back({std::to_string(s.failed) + " failed", 2});
  auto length = [&] {
    int n = -1;
    for (const auto& p : parts) n += static_cast<int>(p.text.size()) + 1;
    return n;
  };
  constexpr int kMinBar = 10, kMaxBar = 30;
  // Drop parts until a minimal bar fits beside them ("[" + bar + "] ").
  while (length() + kMinBar + 3 > room && parts.size() > 1) {
    size_t worst = 0;
    for (size_t i = 0; i < parts.size(); ++i)
      if (parts[i].drop > parts[worst].drop) worst = i;
    if (parts[worst].drop == 0) break;
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(worst));
  }
  const int bar_width = std::min(kMaxBar, room - length() - 3);
  std::string line;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) line += ' ';
    line += parts[i].text;
    if (i == 0 && bar_width >= kMinBar && parts.size() > 1) {
      const int filled = static_cast<int>(r.frac * bar_width);
      line += " [" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "]";
    }
  }
  if (static_cast<int>(line.size()) > room) line.resize(room);
  return line;
}

std::string FormatProgressLog(const ProgressSnapshot& s) {
  const Rates r = RatesOf(s);
  return Printf("%s %lld/%lld images (%.1f%%), %lld failed, %.1f img/s, elapsed %s, ETA %s", s.what.c_str(),
                static_cast<long long>(r.done), static_cast<long long>(s.total), 100 * r.frac,
                static_cast<long long>(s.failed), r.rate, FormatDuration(s.elapsed_s).c_str(),
                FormatDuration(r.eta).c_str());
}

std::string FormatProgressJson(const ProgressSnapshot& s, const std::string& time) {
  const Rates r = RatesOf(s);
  nlohmann::json j = {{"time", time},          {"event", "progress"}, {"task", s.what},
                      {"done", r.done},        {"total", s.total},    {"ok", s.ok},
                      {"failed", s.failed},    {"images_per_s", r.rate},
                      {"elapsed_s", s.elapsed_s}, {"eta_s", r.eta >= 0 ? nlohmann::json(r.eta) : nlohmann::json()}};
  return j.dump();
}

Progress::Progress(std::string what, int64_t total, Options options)
    : what_(std::move(what)), total_(total), options_(options) {
  if (options_.mode == Mode::kAuto) options_.mode = ::isatty(STDERR_FILENO) ? Mode::kBar : Mode::kLog;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

ProgressSnapshot Progress::Snapshot() const { return {what_, total_, ok_, failed_, elapsed_s()}; }

void Progress::Advance(int64_t ok, int64_t failed) {
  ok_ += ok;
  failed_ += failed;
  if (options_.mode == Mode::kQuiet) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double interval = options_.mode == Mode::kBar ? 0.1 : options_.interval_s;
  if (since >= interval) {
    last_draw_ = now;
    Draw();
  }
}

void Progress::Draw() {
  const ProgressSnapshot s = Snapshot();
  if (options_.mode == Mode::kBar) {
    std::fprintf(stderr, "\r%s\033[K", FormatProgressBar(s, TerminalColumns()).c_str());
  } else if (options_.mode == Mode::kLog) {
    const std::string now = Iso8601UtcNow();
    if (options_.json) std::fprintf(stderr, "%s\n", FormatProgressJson(s, now).c_str());
    else std::fprintf(stderr, "%s verger: %s\n", now.c_str(), FormatProgressLog(s).c_str());
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (options_.mode == Mode::kBar) {
    Draw();
    std::fprintf(stderr, "\n");
  }
}

}  // namespace verger
