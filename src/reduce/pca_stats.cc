#include "reduce/pca_stats.h"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <new>

#include <zlib.h>

#include "reduce/xxh64.h"

namespace verger {

static_assert(std::endian::native == std::endian::little, "stats files are little-endian");

namespace {

// Serialised layout (all little-endian):
//   [0, 8)   magic "VGPCASTS"
//   [8, 12)  uint32 version (1)
//   [12, 16) uint32 scatter layout:
//            1 = packed upper triangle, column-major (for j in [0, dim):
//                for i in [0, j]: S(i, j)), stored raw (read, not written);
//            2 = the same values, compressed (written): 8.4 MB raw for
//                1280-d is mostly the near-constant sign/exponent bytes, so
//                the values' bytes are shuffled (all first bytes, then all
//                second bytes, ...) and deflated (zlib) — lossless, so
//                merges and fits stay bit-identical.
//   [16, 24) int64 dim
//   [24, 32) int64 count
//   layout 1: float64 mean[dim], then float64 scatter[dim * (dim + 1) / 2]
//   layout 2: uint64 n, then n bytes: zlib stream of the shuffled bytes of
//             mean[dim] followed by scatter[dim * (dim + 1) / 2]
//   then     uint64 XXH64 (seed 0) of every byte before it.
constexpr char kMagic[8] = {'V', 'G', 'P', 'C', 'A', 'S', 'T', 'S'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kLayoutPackedUpper = 1;
constexpr uint32_t kLayoutPackedUpperZlib = 2;
// Level 6 (zlib's default): level 9 saves ~1% more at several times the time.
constexpr int kZlibLevel = 6;
constexpr size_t kHeaderBytes = 32;
constexpr size_t kChecksumBytes = 8;
// Keeps size arithmetic far from overflow; 2^20 features would already need
// 8 TiB of scatter.
constexpr int64_t kMaxDim = int64_t{1} << 20;

template <typename T>
void Put(std::vector<uint8_t>& out, size_t& pos, const T& v) {
  std::memcpy(out.data() + pos, &v, sizeof(T));
  pos += sizeof(T);
}

template <typename T>
T Get(const std::vector<uint8_t>& in, size_t& pos) {
  T v;
  std::memcpy(&v, in.data() + pos, sizeof(T));
  pos += sizeof(T);
  return v;
}

// Byte b of value i goes to out[b * n + i]: bytes of equal significance
// sit together, which is what lets deflate find the repetition.
std::vector<uint8_t> ShuffleBytes(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<uint8_t> out(n * sizeof(double));
  const auto* in = reinterpret_cast<const uint8_t*>(values.data());
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < sizeof(double); ++b) out[b * n + i] = in[i * sizeof(double) + b];
  return out;
}

void UnshuffleBytes(const std::vector<uint8_t>& shuffled, std::vector<double>& values) {
  const size_t n = values.size();
  auto* out = reinterpret_cast<uint8_t*>(values.data());
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < sizeof(double); ++b) out[i * sizeof(double) + b] = shuffled[b * n + i];
}

}  // namespace

PcaStats::PcaStats(int64_t dim) : dim_(dim) {
  if (dim_ >= 1 && dim_ <= kMaxDim) {
    mean_.assign(static_cast<size_t>(dim_), 0.0);
    scatter_.assign(static_cast<size_t>(dim_ * dim_), 0.0);
  }
}

Status PcaStats::AddRows(const float* rows, int64_t n) {
  if (dim_ < 1 || dim_ > kMaxDim)
    return Status::InvalidArgument("PCA stats: feature dimension " + std::to_string(dim_) + " out of range [1, " +
                                   std::to_string(kMaxDim) + "]");
  if (n < 0) return Status::InvalidArgument("PCA stats: negative row count " + std::to_string(n));
  if (n == 0) return Status::OK();
  if (rows == nullptr) return Status::InvalidArgument("PCA stats: null row pointer for " + std::to_string(n) + " rows");

  // Check every row before touching the statistics. x * 0 is 0 for finite x
  // and NaN for NaN/Inf, so one vectorisable sum per row finds bad rows.
  const int64_t d = dim_;
  for (int64_t r = 0; r < n; ++r) {
    const float* row = rows + r * d;
    float probe = 0.0f;
    for (int64_t c = 0; c < d; ++c) probe += row[c] * 0.0f;
    if (probe == 0.0f) continue;
    for (int64_t c = 0; c < d; ++c) {
      if (!std::isfinite(row[c])) {
        return Status::Corrupt("PCA stats: row " + std::to_string(count() + r) + " column " + std::to_string(c) +
                               " is " + (std::isnan(row[c]) ? "NaN" : "Inf") + "; features must be finite");
      }
    }
  }

  const int64_t block = kBlockRows;
  int64_t r = 0;
  if (pending_rows_ > 0) {
    const int64_t take = std::min(n, block - pending_rows_);
    std::memcpy(pending_.data() + pending_rows_ * d, rows, static_cast<size_t>(take * d) * sizeof(float));
    pending_rows_ += take;
    r = take;
    if (pending_rows_ == block) FlushPending();
  }
  // Full blocks straight from the caller's memory; blocks stay aligned to
  // multiples of kBlockRows from the first row, whatever the call sizes.
  for (; n - r >= block; r += block) FoldBlock(rows + r * d, block);
  if (r < n) {
    if (pending_.empty()) pending_.resize(static_cast<size_t>(block * d));
    std::memcpy(pending_.data(), rows + r * d, static_cast<size_t>((n - r) * d) * sizeof(float));
    pending_rows_ = n - r;
  }
  return Status::OK();
}

void PcaStats::FoldBlock(const float* rows, int64_t nb) const {
  const int64_t d = dim_;
  block_.resize(static_cast<size_t>(nb * d));
  std::vector<double> block_mean(static_cast<size_t>(d), 0.0);
  for (int64_t r = 0; r < nb; ++r) {
    const float* row = rows + r * d;
    for (int64_t c = 0; c < d; ++c) block_mean[c] += row[c];
  }
  for (double& m : block_mean) m /= static_cast<double>(nb);
  for (int64_t r = 0; r < nb; ++r) {
    const float* row = rows + r * d;
    double* out = block_.data() + r * d;
    for (int64_t c = 0; c < d; ++c) out[c] = static_cast<double>(row[c]) - block_mean[c];
  }
  // The block, row-major nb x d, is column-major d x nb: S += B B^T.
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<int>(d), static_cast<int>(nb), 1.0,
              block_.data(), static_cast<int>(d), 1.0, scatter_.data(), static_cast<int>(d));
  if (count_ == 0) {
    mean_ = std::move(block_mean);
  } else {
    // Chan et al.: S = S_a + S_b + (n_a n_b / n) delta delta^T.
    const double na = static_cast<double>(count_), nbd = static_cast<double>(nb), total = na + nbd;
    std::vector<double> delta(static_cast<size_t>(d));
    for (int64_t c = 0; c < d; ++c) delta[c] = block_mean[c] - mean_[c];
    cblas_dsyr(CblasColMajor, CblasUpper, static_cast<int>(d), na * nbd / total, delta.data(), 1, scatter_.data(),
               static_cast<int>(d));
    for (int64_t c = 0; c < d; ++c) mean_[c] = (na * mean_[c] + nbd * block_mean[c]) / total;
  }
  count_ += nb;
}

void PcaStats::FlushPending() const {
  if (pending_rows_ == 0) return;
  FoldBlock(pending_.data(), pending_rows_);
  pending_rows_ = 0;
}

Status PcaStats::Merge(const PcaStats& other) {
  if (other.dim_ != dim_)
    return Status::InvalidArgument("PCA stats merge: dimension mismatch (" + std::to_string(dim_) + " vs " +
                                   std::to_string(other.dim_) + " features)");
  if (dim_ < 1 || dim_ > kMaxDim)
    return Status::InvalidArgument("PCA stats merge: feature dimension " + std::to_string(dim_) + " out of range");
  FlushPending();
  other.FlushPending();
  if (other.count_ == 0) return Status::OK();
  if (count_ == 0) {
    count_ = other.count_;
    mean_ = other.mean_;
    scatter_ = other.scatter_;
    return Status::OK();
  }
  // Written symmetrically in (this, other) so that a.Merge(b) and b.Merge(a)
  // give the same bits: sums commute and delta enters only as delta delta^T.
  const int64_t d = dim_;
  const double na = static_cast<double>(count_), nb = static_cast<double>(other.count_), total = na + nb;
  std::vector<double> delta(static_cast<size_t>(d));
  for (int64_t c = 0; c < d; ++c) delta[c] = other.mean_[c] - mean_[c];
  const double* os = other.scatter_.data();
  double* s = scatter_.data();
  for (int64_t i = 0, e = d * d; i < e; ++i) s[i] += os[i];
  cblas_dsyr(CblasColMajor, CblasUpper, static_cast<int>(d), na * nb / total, delta.data(), 1, s, static_cast<int>(d));
  for (int64_t c = 0; c < d; ++c) mean_[c] = (na * mean_[c] + nb * other.mean_[c]) / total;
  count_ += other.count_;
  return Status::OK();
}

const std::vector<double>& PcaStats::mean() const {
  FlushPending();
  return mean_;
}

const std::vector<double>& PcaStats::scatter() const {
  FlushPending();
  return scatter_;
}

std::vector<uint8_t> PcaStats::Serialize() const {
  FlushPending();
  const int64_t d = std::max<int64_t>(dim_, 0);
  const bool valid = d >= 1 && d <= kMaxDim;
  const size_t packed = valid ? static_cast<size_t>(d * (d + 1) / 2) : 0;
  const size_t nmean = valid ? static_cast<size_t>(d) : 0;
  std::vector<double> values;
  values.reserve(nmean + packed);
  if (valid) {
    values.insert(values.end(), mean_.begin(), mean_.end());
    for (int64_t j = 0; j < d; ++j)
      values.insert(values.end(), scatter_.begin() + j * d, scatter_.begin() + j * d + j + 1);
  }
  const std::vector<uint8_t> shuffled = ShuffleBytes(values);
  uLongf packed_bytes = compressBound(static_cast<uLong>(shuffled.size()));
  std::vector<uint8_t> out(kHeaderBytes + sizeof(uint64_t) + packed_bytes + kChecksumBytes);
  size_t pos = 0;
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  pos += sizeof(kMagic);
  Put(out, pos, kVersion);
  Put(out, pos, kLayoutPackedUpperZlib);
  Put(out, pos, static_cast<int64_t>(valid ? d : 0));
  Put(out, pos, count_);
  size_t length_at = pos;
  pos += sizeof(uint64_t);
  // compress2 on a buffer of compressBound bytes cannot fail but for memory.
  if (compress2(out.data() + pos, &packed_bytes, shuffled.data(), static_cast<uLong>(shuffled.size()), kZlibLevel) != Z_OK)
    throw std::bad_alloc();
  Put(out, length_at, static_cast<uint64_t>(packed_bytes));
  pos += packed_bytes;
  const uint64_t sum = Xxh64(out.data(), pos);
  Put(out, pos, sum);
  out.resize(pos);
  return out;
}

Result<PcaStats> PcaStats::Deserialize(const std::vector<uint8_t>& bytes, const std::string& what) {
  if (bytes.size() < kHeaderBytes + kChecksumBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return Status::Corrupt(what + ": not a verger PCA stats file (bad magic or shorter than the header)");
  size_t pos = sizeof(kMagic);
  const auto version = Get<uint32_t>(bytes, pos);
  const auto layout = Get<uint32_t>(bytes, pos);
  const auto dim = Get<int64_t>(bytes, pos);
  const auto count = Get<int64_t>(bytes, pos);
  if (version != kVersion)
    return Status::Unsupported(what + ": PCA stats version " + std::to_string(version) + " (this build reads " +
                               std::to_string(kVersion) + ")");
  if (layout != kLayoutPackedUpper && layout != kLayoutPackedUpperZlib)
    return Status::Unsupported(what + ": PCA stats scatter layout " + std::to_string(layout) + " unknown");
  if (dim < 1 || dim > kMaxDim)
    return Status::Corrupt(what + ": PCA stats dimension " + std::to_string(dim) + " out of range");
  if (count < 0) return Status::Corrupt(what + ": PCA stats row count " + std::to_string(count) + " is negative");
  const size_t packed = static_cast<size_t>(dim * (dim + 1) / 2);
  const size_t raw_bytes = (static_cast<size_t>(dim) + packed) * sizeof(double);
  size_t expected = kHeaderBytes + raw_bytes + kChecksumBytes;
  uint64_t zlib_bytes = 0;
  if (layout == kLayoutPackedUpperZlib) {
    if (bytes.size() < kHeaderBytes + sizeof(uint64_t) + kChecksumBytes)
      return Status::Corrupt(what + ": PCA stats file truncated after its header");
    zlib_bytes = Get<uint64_t>(bytes, pos);
    if (zlib_bytes > bytes.size()) return Status::Corrupt(what + ": PCA stats compressed length out of range");
    expected = kHeaderBytes + sizeof(uint64_t) + zlib_bytes + kChecksumBytes;
  }
  if (bytes.size() != expected)
    return Status::Corrupt(what + ": PCA stats file is " + std::to_string(bytes.size()) + " bytes, dimension " +
                           std::to_string(dim) + " needs " + std::to_string(expected) + " (truncated?)");
  const size_t body = expected - kChecksumBytes;
  size_t sum_at = body;
  if (Get<uint64_t>(bytes, sum_at) != Xxh64(bytes.data(), body))
    return Status::Corrupt(what + ": PCA stats checksum mismatch (file damaged)");

  std::vector<double> values(static_cast<size_t>(dim) + packed);
  if (layout == kLayoutPackedUpper) {
    std::memcpy(values.data(), bytes.data() + pos, raw_bytes);
  } else {
    std::vector<uint8_t> shuffled(raw_bytes);
    uLongf got = static_cast<uLongf>(raw_bytes);
    if (uncompress(shuffled.data(), &got, bytes.data() + pos, static_cast<uLong>(zlib_bytes)) != Z_OK || got != raw_bytes)
      return Status::Corrupt(what + ": PCA stats payload does not decompress to " + std::to_string(raw_bytes) + " bytes");
    UnshuffleBytes(shuffled, values);
  }

  PcaStats stats(dim);
  stats.count_ = count;
  std::copy(values.begin(), values.begin() + dim, stats.mean_.begin());
  // v * 0 is 0 for finite v and NaN otherwise: one vectorisable probe.
  double probe = 0;
  for (double v : stats.mean_) probe += v * 0.0;
  if (probe != 0) return Status::Corrupt(what + ": PCA stats mean holds a non-finite value");
  size_t at = static_cast<size_t>(dim);
  for (int64_t j = 0; j < dim; ++j) {
    double* col = stats.scatter_.data() + j * dim;
    std::copy(values.begin() + at, values.begin() + at + j + 1, col);
    at += static_cast<size_t>(j + 1);
    for (int64_t i = 0; i <= j; ++i) probe += col[i] * 0.0;
  }
  if (probe != 0) return Status::Corrupt(what + ": PCA stats scatter holds a non-finite value");
  return stats;
}

}  // namespace verger
