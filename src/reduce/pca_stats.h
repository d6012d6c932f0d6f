// Streaming, mergeable sufficient statistics for PCA: row count, mean and
// centred scatter matrix  S = sum_i (x_i - mean)(x_i - mean)^T,  all in
// double precision. One PcaStats per partition of feature rows; partitions
// are combined with Merge (Chan et al.'s pairwise update), which is
// associative and commutative up to rounding.
//
// Rows are folded in blocks of kBlockRows: each block is converted to
// double, centred on its own mean and added with one BLAS-3 dsyrk, then the
// block is merged into the running statistics with Chan's correction (one
// rank-1 update per block, never per row). Rows from AddRows calls that do
// not fill a block wait in an internal buffer, so the result does not
// depend on how a partition's rows are split into AddRows calls.
//
// Thread safety: a PcaStats is not thread-safe. Even const accessors may
// fold buffered rows first, so callers serialise all access to one object.
// Distinct objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

class PcaStats {
 public:
  // Rows per BLAS-3 block (and the size of the internal row buffer).
  static constexpr int64_t kBlockRows = 512;

  // Empty statistics for rows of `dim` features. Allocates dim*dim doubles
  // (128 MiB for dim 4096). dim must be >= 1 (checked by AddRows/Merge/
  // Deserialize; a dim < 1 object holds nothing and reports errors).
  explicit PcaStats(int64_t dim);

  PcaStats(PcaStats&&) noexcept = default;
  PcaStats& operator=(PcaStats&&) noexcept = default;
  PcaStats(const PcaStats&) = default;
  PcaStats& operator=(const PcaStats&) = default;

  // Adds `n` rows of dim() float32 features, row-major, read from `rows`
  // (not retained). Any NaN or Inf makes the call return Corrupt naming the
  // row index (counted from the first row this object ever received, i.e.
  // the row's index within the partition) and the column; the statistics
  // are then unchanged (all rows are checked before any is added).
  Status AddRows(const float* rows, int64_t n);

  // this := this (+) other. InvalidArgument if the dims differ. `other` is
  // only read (its buffered rows are folded first, see thread safety).
  Status Merge(const PcaStats& other);

  // Self-describing little-endian binary, see pca_stats.cc for the layout:
  // magic "VGPCASTS", version, dim, count, then mean and the upper triangle
  // of the scatter, byte-shuffled and zlib-compressed (lossless), and an
  // XXH64 checksum of everything before it. Deserialize also reads the
  // uncompressed layout of earlier builds.
  std::vector<uint8_t> Serialize() const;

  // Parses Serialize()'s output. Corrupt (naming `what`) on a bad magic,
  // truncation, size mismatch, checksum mismatch or non-finite numbers;
  // Unsupported on an unknown version.
  static Result<PcaStats> Deserialize(const std::vector<uint8_t>& bytes, const std::string& what);

  int64_t dim() const { return dim_; }
  // Reading mean(), scatter(), Serialize() or merging folds the buffered
  // partial block; rows added afterwards start a new block (same statistics,
  // different rounding than without the read).
  // Rows added so far, buffered ones included.
  int64_t count() const { return count_ + pending_rows_; }
  // Mean of all rows (dim() values; zeros when count() == 0).
  const std::vector<double>& mean() const;
  // Centred scatter, dim() x dim() column-major; only the upper triangle
  // (element (i, j) with i <= j at [j * dim + i]) is meaningful.
  const std::vector<double>& scatter() const;

 private:
  // Folds `n` (<= kBlockRows) rows into count_/mean_/scatter_.
  void FoldBlock(const float* rows, int64_t n) const;
  void FlushPending() const;

  int64_t dim_ = 0;
  // The statistics are mutable so that const readers can fold buffered rows
  // (see the thread-safety note above); the logical value never changes.
  mutable int64_t count_ = 0;  // rows folded into mean_/scatter_
  mutable std::vector<double> mean_;
  mutable std::vector<double> scatter_;
  // Rows waiting for a full block.
  mutable std::vector<float> pending_;
  mutable int64_t pending_rows_ = 0;
  // Scratch for one centred double block; not part of the value.
  mutable std::vector<double> block_;
};

}  // namespace verger
