// --sample N: a deterministic sample of an image listing, stratified by
// label, so a small trial run sees every class in its proportion (unlike
// --limit, which takes the first N keys in order: usually a single class).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/image_listing.h"

namespace verger {

// Keeps `n` of `images` (all when n >= size): each label gets its
// proportional share (largest remainders, at least one image per label
// while n allows), and within a label the images whose hash of (seed, key)
// is smallest, so the same listing and seed give the same sample on any
// machine, and adding images to one label barely changes another's.
// Returns the kept images in key order.
std::vector<ImageItem> SampleByLabel(const std::vector<ImageItem>& images, int64_t n, uint64_t seed);

}  // namespace verger
