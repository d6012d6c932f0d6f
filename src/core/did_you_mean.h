// "did you mean" suggestions for mistyped names (options, subcommands,
// models, formats, option values).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace verger {

// Levenshtein distance (insertions, deletions, substitutions; case counts).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `typed` if it is close enough to be a likely
// typo (distance at most max(2, len/3), or `typed` is a prefix of exactly
// one candidate), else "". Ties go to the earlier candidate.
std::string ClosestMatch(std::string_view typed, const std::vector<std::string>& candidates);

// "; did you mean 'X'?" or "" when nothing is close.
std::string DidYouMeanSuffix(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace verger
