#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace verger {

// Lower-case hex SHA-256 of the bytes (OpenSSL).
std::string Sha256Hex(std::span<const uint8_t> bytes);
std::string Sha256Hex(std::string_view text);

}  // namespace verger
