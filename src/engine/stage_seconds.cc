#include "engine/stage_seconds.h"

#include <cstdio>

namespace verger {

StageSeconds& StageSeconds::operator+=(const StageSeconds& other) {
  read += other.read;
  decode += other.decode;
  wait_for_input += other.wait_for_input;
  inference += other.inference;
  write += other.write;
  return *this;
}

nlohmann::json StageSeconds::ToJson() const {
  return {{"read", read}, {"decode", decode}, {"wait_for_input", wait_for_input}, {"inference", inference},
          {"write", write}};
}

std::string StageSeconds::ToString() const {
  char buf[192];
  std::snprintf(buf, sizeof buf, "read %.2f s, decode %.2f s, waiting for input %.2f s, inference %.2f s, write %.2f s",
                read, decode, wait_for_input, inference, write);
  return buf;
}

}  // namespace verger
