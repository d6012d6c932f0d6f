// Where an extraction's time went, per pipeline stage, so a slow job says
// what limits it. read and decode are busy seconds summed over their worker
// threads (they can exceed wall time); wait_for_input, inference and write
// belong to the one consumer thread. wait_for_input well above zero means
// reading or decoding could not keep the model fed.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace verger {

struct StageSeconds {
  double read = 0;            // object store reads (I/O threads)
  double decode = 0;          // decode + resize + normalise (decode threads)
  double wait_for_input = 0;  // consumer blocked on the next decoded image
  double inference = 0;       // backend forward passes
  double write = 0;           // encoding and writing tables, statistics, markers
  double list = 0;            // listing the input, cutting partitions, checking earlier ones (--resume)

  StageSeconds& operator+=(const StageSeconds& other);
  nlohmann::json ToJson() const;
  // "listing 0.02 s, read 0.41 s, decode 1.20 s, waiting for input 0.05 s, inference 34.50 s, write 0.80 s"
  std::string ToString() const;
};

// Wall-clock time as Unix seconds (for timestamps that compare across machines).
inline double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Seconds since `start` on the steady clock.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace verger
