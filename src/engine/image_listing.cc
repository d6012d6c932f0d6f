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

Status ListImagesEach(const ObjectStore& store, int64_t limit, const std::function<Status(ImageItem&&)>& visit,
                      std::vector<ListingProblem>* problems) {
  const std::string root_label = RootLabel(store.uri());
  const size_t first_problem = problems->size();
  int64_t kept = 0;
  bool limit_reached = false;
  Status s = store.ListEach(
      "", &IsImageKey,
      [&](ObjectInfo&& obj) -> Status {
        if (limit > 0 && kept >= limit) {
          limit_reached = true;
          return Status::Cancelled("limit reached");
        }
        ImageItem item;
        item.label = LabelForKey(obj.key, root_label);
        // Names are bytes, but every table, marker, manifest and Python
        // string downstream needs UTF-8: an image whose key or label is not
        // UTF-8 becomes a problem of its own (escaped below).
        if (!IsUtf8(obj.key) || !IsUtf8(item.label)) {
          problems->push_back({std::move(obj.key), kNameNotUtf8});
          return Status::OK();
        }
        ++kept;
        item.key = std::move(obj.key);
        item.size = obj.size;
        item.mtime_ns = obj.mtime_ns;
        item.etag = std::move(obj.etag);
        return visit(std::move(item));
      },
      problems);
  // Problems name raw keys and causes: show them escaped.
  for (size_t i = first_problem; i < problems->size(); ++i) {
    (*problems)[i].key = EscapeNonUtf8((*problems)[i].key);
    (*problems)[i].reason = EscapeNonUtf8((*problems)[i].reason);
  }
  return limit_reached ? Status::OK() : s;
}

Result<ImageListing> ListImages(const ObjectStore& store, int64_t limit) {
  ImageListing out;
  VERGER_RETURN_IF_ERROR(ListImagesEach(
      store, limit,
      [&](ImageItem&& item) {
        out.images.push_back(std::move(item));
        return Status::OK();
      },
      &out.problems));
  std::sort(out.problems.begin(), out.problems.end(),
            [](const ListingProblem& a, const ListingProblem& b) { return a.key < b.key; });
  return out;
}

}  // namespace verger
