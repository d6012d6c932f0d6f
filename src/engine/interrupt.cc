#include "engine/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace verger {

namespace {

std::atomic<int> g_signals{0};

extern "C" void OnInterrupt(int) {
  if (g_signals.fetch_add(1) > 0) _exit(130);
  static const char kMsg[] = "\nverger: stopping after the current batch (press Ctrl-C again to quit at once)\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  (void)ignored;
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool InterruptRequested() { return g_signals.load(std::memory_order_relaxed) > 0; }

void RequestInterrupt() { g_signals.fetch_add(1); }

Status InterruptedStatus(int64_t complete, int64_t total) {
  return Status::Cancelled("interrupted: " + std::to_string(complete) + " of " + std::to_string(total) +
                           " partitions complete; rerun the same command with --resume");
}

}  // namespace verger
