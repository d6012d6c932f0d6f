// Local-file helpers shared by every stage. All return Status naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

// Whole file; ResourceExhausted (before reading, from its size) when it
// holds more than `max_bytes`, so memory stays bounded by the limit.
Result<std::vector<uint8_t>> ReadFileBytes(const std::filesystem::path& path,
                                           uint64_t max_bytes = std::numeric_limits<uint64_t>::max());
// "file is N bytes, above the limit of M bytes (--max-file-bytes ...)".
std::string FileTooBigMessage(uint64_t size, uint64_t max_bytes);
Result<std::string> ReadFileText(const std::filesystem::path& path);

// Writes to a unique temporary sibling, fsyncs, then renames over `path`, so
// readers see the old file or the whole new one, never a partial one.
// Creates parent directories.
Status WriteFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data);
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view text);

// strerror(errno) as a std::string.
std::string ErrnoMessage(int err);

// Opens `path` read-only (O_CLOEXEC) and returns the descriptor, or
// NotFound / PermissionDenied / IOError naming the path. The caller closes it.
Result<int> OpenForReading(const std::filesystem::path& path);

}  // namespace verger
