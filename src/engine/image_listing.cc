#include "engine/image_listing.h"

#include <algorithm>
#include <cctype>

#include "core/utf8.h"

namespace verger {

bool IsImageKey(std::string_view key) {
  auto dot = key.rfind('.');
  if (dot == std::string_view::npos || key.find('/', dot) != std::string_view::npos) return false;
  std::string ext(key.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == "jpg" || ext == "jpeg" || ext == "png";
}

std::string LabelForKey(std::string_view key, std::string_view root_label) {
  auto slash = key.rfind('/');
  if (slash == std::string_view::npos) return std::string(root_label);
  auto parent = key.substr(0, slash);
  auto prev = parent.rfind('/');
  return std::string(prev == std::string_view::npos ? parent : parent.substr(prev + 1));
}

std::string RootLabel(std::string_view uri) {
  std::string u(uri);
  while (u.size() > 1 && u.back() == '/') u.pop_back();
  auto slash = u.rfind('/');
  return slash == std::string::npos ? u : u.substr(slash + 1);
}

Result<ImageListing> ListImages(const ObjectStore& store, int64_t limit) {
  VERGER_ASSIGN_OR_RETURN(Listing listing, store.List("", &IsImageKey));
  ImageListing out;
  // Names are bytes, but every table, marker, manifest and Python string
  // downstream needs UTF-8: problems are shown escaped, and an image whose
  // key or label is not UTF-8 becomes a problem of its own.
  for (auto& p : listing.problems) out.problems.push_back({EscapeNonUtf8(p.key), EscapeNonUtf8(p.reason)});
  const std::string root_label = RootLabel(store.uri());
  for (auto& obj : listing.objects) {
    if (limit > 0 && static_cast<int64_t>(out.images.size()) >= limit) break;
    ImageItem item;
    item.label = LabelForKey(obj.key, root_label);
    if (!IsUtf8(obj.key) || !IsUtf8(item.label)) {
      out.problems.push_back({EscapeNonUtf8(obj.key), kNameNotUtf8});
      continue;
    }
    item.key = std::move(obj.key);
    item.size = obj.size;
    item.mtime_ns = obj.mtime_ns;
    item.etag = std::move(obj.etag);
    out.images.push_back(std::move(item));
  }
  std::sort(out.problems.begin(), out.problems.end(),
            [](const ListingProblem& a, const ListingProblem& b) { return a.key < b.key; });
  return out;
}

}  // namespace verger
