#include "engine/progress.h"

#include <unistd.h>

#include <cstdio>

namespace verger {

Progress::Progress(std::string what, int64_t total, Mode mode, double log_interval_s)
    : what_(std::move(what)), total_(total), mode_(mode), log_interval_s_(log_interval_s) {
  if (mode_ == Mode::kAuto) mode_ = ::isatty(STDERR_FILENO) ? Mode::kBar : Mode::kLog;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

static std::string FormatDuration(double s) {
  char buf[32];
  if (s < 0 || s > 1e7) return "--:--";
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

void Progress::Advance(int64_t ok, int64_t failed) {
  ok_ += ok;
  failed_ += failed;
  if (mode_ == Mode::kQuiet) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double interval = mode_ == Mode::kBar ? 0.1 : log_interval_s_;
  if (since >= interval) {
    last_draw_ = now;
    Draw(false);
  }
}

void Progress::Draw(bool final) {
  const int64_t done = ok_ + failed_;
  const double el = elapsed_s();
  const double rate = el > 0 ? done / el : 0;
  const double eta = rate > 0 ? (total_ - done) / rate : -1;
  const double frac = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  if (mode_ == Mode::kBar) {
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %5.1f%% %.1f img/s ETA %s%s\033[K", what_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), 100 * frac, rate,
                 FormatDuration(eta).c_str(),
                 failed_ ? (" (" + std::to_string(failed_) + " failed)").c_str() : "");
  } else if (mode_ == Mode::kLog && !final) {
    std::fprintf(stderr, "verger: %s %lld/%lld images (%.1f%%), %lld failed, %.1f img/s, ETA %s\n", what_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), 100 * frac,
                 static_cast<long long>(failed_), rate, FormatDuration(eta).c_str());
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (mode_ == Mode::kBar) {
    Draw(true);
    std::fprintf(stderr, "\n");
  }
}

}  // namespace verger
