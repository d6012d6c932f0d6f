// Hive/Spark-style escaping of partition values ("label=<value>" folders), so
// any label is one safe path component that readers decode back exactly.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace verger {

// Percent-encodes the characters Hive escapes (control characters, '"', '#',
// '%', '\'', '*', '/', ':', '=', '?', '\\', 0x7F, '{', '[', ']', '^') plus a
// leading '.', so the result never contains a path separator and never is
// "." or "..". UTF-8 bytes >= 0x80 pass through unchanged, as in Spark.
std::string EscapePartitionValue(std::string_view value);

// Inverse of EscapePartitionValue; Corrupt on a malformed %XX sequence.
Result<std::string> UnescapePartitionValue(std::string_view escaped);

}  // namespace verger
