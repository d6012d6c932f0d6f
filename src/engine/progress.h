// Progress of a long job on stderr: a redrawn bar on a terminal (fitted to
// its width: done/total, images/s, elapsed, ETA, failed), a timestamped log
// line (text or one JSON object) every `interval_s` otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace verger {

struct ProgressSnapshot {
  std::string what;  // "extract", "transform"
  int64_t total = 0, ok = 0, failed = 0;
  double elapsed_s = 0;
};

// One bar line of at most `columns` - 1 characters (the last column is left
// free so terminals never wrap): parts that do not fit are dropped, least
// useful first, then the bar shrinks.
std::string FormatProgressBar(const ProgressSnapshot& s, int columns);
// "extract 120/4814 images (2.5%), 1 failed, 30.1 img/s, elapsed 00:04, ETA 02:36"
std::string FormatProgressLog(const ProgressSnapshot& s);
// {"time":..., "event":"progress", "task":"extract", "done":..., ...} (no newline)
std::string FormatProgressJson(const ProgressSnapshot& s, const std::string& time);
// "mm:ss" or "h:mm:ss"; "--:--" when unknown.
std::string FormatDuration(double seconds);
// UTC now as ISO-8601 with seconds, e.g. "2026-11-30T03:50:00Z".
std::string Iso8601UtcNow();
// Columns of the terminal on stderr (TIOCGWINSZ), else $COLUMNS, else 80.
int TerminalColumns();

enum class ProgressMode { kAuto, kBar, kLog, kQuiet };

struct ProgressOptions {
  ProgressMode mode = ProgressMode::kAuto;
  double interval_s = 10.0;  // between log lines
  bool json = false;         // log lines as JSON objects
};

class Progress {
 public:
  using Mode = ProgressMode;
  using Options = ProgressOptions;
  Progress(std::string what, int64_t total, Options options = {});
  // Called from one thread as work completes.
  void Advance(int64_t ok, int64_t failed);
  // Replaces an estimated total (a --resume run counts from the earlier
  // run's markers, then finds more images as it lists).
  void SetTotal(int64_t total) { total_ = total; }
  int64_t total() const { return total_; }
  // Clears the bar; the caller prints its own summary.
  void Finish();
  double elapsed_s() const;

 private:
  void Draw();
  ProgressSnapshot Snapshot() const;
  std::string what_;
  int64_t total_, ok_ = 0, failed_ = 0;
  Options options_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace verger
