#include "core/did_you_mean.h"

#include <algorithm>

namespace verger {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& candidates) {
  if (typed.empty()) return "";
  std::string best;
  size_t best_distance = static_cast<size_t>(-1);
  for (const auto& c : candidates) {
    const size_t d = EditDistance(typed, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  const size_t allowed = std::max<size_t>(2, typed.size() / 3);
  if (!best.empty() && best_distance <= allowed) return best;
  std::string prefixed;
  for (const auto& c : candidates) {
    if (c.size() > typed.size() && c.compare(0, typed.size(), typed) == 0) {
      if (!prefixed.empty()) return "";  // ambiguous
      prefixed = c;
    }
  }
  return prefixed;
}

std::string DidYouMeanSuffix(std::string_view typed, const std::vector<std::string>& candidates) {
  std::string m = ClosestMatch(typed, candidates);
  return m.empty() ? "" : "; did you mean '" + m + "'?";
}

}  // namespace verger
