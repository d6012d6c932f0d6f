#include "engine/stage_seconds.h"

#include <cstdio>

namespace verger {

StageSeconds& StageSeconds::operator+=(const StageSeconds& other) {
  read += other.read;
  decode += other.decode;
  wait_for_input += other.wait_for_input;
  inference += other.inference;
  write += other.write;
  list += other.list;
  return *this;
}

nlohmann::json StageSeconds::ToJson() const {
  return {{"read", read}, {"decode", decode}, {"wait_for_input", wait_for_input}, {"inference", inference},
          {"write", write}, {"list", list}};
}

std::string StageSeconds::ToString() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "listing %.2f s, read %.2f s, decode %.2f s, waiting for input %.2f s, inference %.2f s, write %.2f s",
                list, read, decode, wait_for_input, inference, write);
  return buf;
}

}  // namespace verger
