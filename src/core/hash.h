#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace verger {

// Lower-case hex SHA-256 of the bytes (OpenSSL).
std::string Sha256Hex(std::span<const uint8_t> bytes);
std::string Sha256Hex(std::string_view text);

// 64-bit FNV-1a: a fast, stable (platform- and run-independent) hash for
// deterministic sampling; `seed` varies the result.
uint64_t Fnv1a(std::string_view text, uint64_t seed = 0);

}  // namespace verger
