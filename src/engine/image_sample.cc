#include "engine/image_sample.h"

#include <algorithm>
#include <map>
#include <string>

#include "core/hash.h"

namespace verger {

std::vector<ImageItem> SampleByLabel(const std::vector<ImageItem>& images, int64_t n, uint64_t seed) {
  const int64_t total = static_cast<int64_t>(images.size());
  if (n >= total) return images;
  std::map<std::string, std::vector<size_t>> by_label;  // positions in `images`
  for (size_t i = 0; i < images.size(); ++i) by_label[images[i].label].push_back(i);

  // Quotas: one per label first when n allows, the rest in proportion to
  // each label's remaining images, by largest remainder.
  std::map<std::string, int64_t> quota;
  int64_t left = n;
  if (n >= static_cast<int64_t>(by_label.size())) {
    for (const auto& [label, members] : by_label) quota[label] = 1;
    left -= static_cast<int64_t>(by_label.size());
  }
  struct Share {
    double remainder;
    std::string label;
  };
  std::vector<Share> shares;
  const int64_t pool = total - static_cast<int64_t>(quota.size());
  int64_t given = 0;
  for (const auto& [label, members] : by_label) {
    const int64_t room = static_cast<int64_t>(members.size()) - quota[label];
    const double exact = pool > 0 ? static_cast<double>(left) * room / pool : 0;
    const int64_t whole = std::min(room, static_cast<int64_t>(exact));
    quota[label] += whole;
    given += whole;
    shares.push_back({exact - static_cast<double>(whole), label});
  }
  std::stable_sort(shares.begin(), shares.end(), [](const Share& a, const Share& b) { return a.remainder > b.remainder; });
  for (size_t i = 0; given < left && !shares.empty(); i = (i + 1) % shares.size()) {
    const std::string& label = shares[i].label;
    if (quota[label] < static_cast<int64_t>(by_label[label].size())) {
      ++quota[label];
      ++given;
    }
  }

  std::vector<size_t> kept;
  for (auto& [label, members] : by_label) {
    std::vector<std::pair<uint64_t, size_t>> ranked;
    for (size_t i : members) ranked.emplace_back(Fnv1a(images[i].key, seed + 1), i);
    const auto k = static_cast<size_t>(quota[label]);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end());
    for (size_t j = 0; j < k; ++j) kept.push_back(ranked[j].second);
  }
  std::sort(kept.begin(), kept.end());  // `images` is in key order
  std::vector<ImageItem> out;
  out.reserve(kept.size());
  for (size_t i : kept) out.push_back(images[i]);
  return out;
}

}  // namespace verger
