// Turns a store listing into the job's sorted image list: keys ending in
// .jpg/.jpeg/.png (any case), label = name of the parent folder.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/object_store.h"

namespace verger {

struct ImageItem {
  std::string key;    // relative to the input root, e.g. "Banana 1/0_100.jpg"
  std::string label;  // parent folder name, e.g. "Banana 1"
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string etag;
};

struct ImageListing {
  std::vector<ImageItem> images;         // sorted by key
  std::vector<ListingProblem> problems;  // become errors.csv rows
};

bool IsImageKey(std::string_view key);

// errors.csv reason for an image whose key (or label) is not valid UTF-8;
// the key is shown with its invalid bytes escaped (EscapeNonUtf8).
inline constexpr const char* kNameNotUtf8 = "name is not UTF-8";

// Label of `key`: its parent folder's name, or `root_label` (the input
// root's own folder name) for files directly under the root.
std::string LabelForKey(std::string_view key, std::string_view root_label);

// Last path component of a store URI ("/data/Training/" -> "Training").
std::string RootLabel(std::string_view uri);

// Lists images under `store`; `limit` > 0 keeps the first `limit` keys.
// Keys and labels of the images returned are valid UTF-8; problems (with
// non-UTF-8 names among them) are reported escaped.
Result<ImageListing> ListImages(const ObjectStore& store, int64_t limit);

// The same images one at a time, in key order, without holding the list
// (ObjectStore::ListEach): `visit` gets each, `problems` the listing
// problems. `limit` > 0 stops after that many. A non-OK Status from `visit`
// stops the listing and is returned.
Status ListImagesEach(const ObjectStore& store, int64_t limit, const std::function<Status(ImageItem&&)>& visit,
                      std::vector<ListingProblem>* problems);

}  // namespace verger
