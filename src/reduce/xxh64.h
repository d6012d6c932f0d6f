// XXH64 (xxHash, 64-bit, by Yann Collet): a fast non-cryptographic checksum
// for the PCA stats files, which are tens of MiB per partition (SHA-256 was
// most of their serialise/parse time). Bit-compatible with libxxhash's
// XXH64(data, size, seed). Thread-safe, pure.
#pragma once

#include <cstddef>
#include <cstdint>

namespace verger {

uint64_t Xxh64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace verger
