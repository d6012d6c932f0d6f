// Progress of a long job on stderr: a redrawn bar on a terminal (done/total,
// images/s, ETA), a plain log line every `log_interval_s` otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace verger {

class Progress {
 public:
  enum class Mode { kAuto, kBar, kLog, kQuiet };
  Progress(std::string what, int64_t total, Mode mode = Mode::kAuto, double log_interval_s = 10.0);
  // Called from one thread as work completes.
  void Advance(int64_t ok, int64_t failed);
  // Clears the bar; the caller prints its own summary.
  void Finish();
  double elapsed_s() const;

 private:
  void Draw(bool final);
  std::string what_;
  int64_t total_, ok_ = 0, failed_ = 0;
  Mode mode_;
  double log_interval_s_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace verger
