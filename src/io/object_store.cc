#include "io/object_store.h"

#include <algorithm>

#include "core/file_util.h"

namespace verger {

Result<std::vector<uint8_t>> ObjectStore::ReadAtMost(std::string_view key, uint64_t max_bytes) const {
  VERGER_ASSIGN_OR_RETURN(auto bytes, Read(key));
  if (bytes.size() > max_bytes) return Status::ResourceExhausted(Describe(key) + ": " + FileTooBigMessage(bytes.size(), max_bytes));
  return bytes;
}

Status ObjectStore::ListEach(std::string_view prefix, bool (*accept)(std::string_view key), const ObjectVisitor& visit,
                             std::vector<ListingProblem>* problems) const {
  VERGER_ASSIGN_OR_RETURN(Listing listing, List(prefix, accept));
  for (auto& p : listing.problems) problems->push_back(std::move(p));
  for (auto& o : listing.objects) VERGER_RETURN_IF_ERROR(visit(std::move(o)));
  return Status::OK();
}

Result<Listing> ObjectStore::ListFromEach(std::string_view prefix, bool (*accept)(std::string_view key)) const {
  Listing out;
  VERGER_RETURN_IF_ERROR(ListEach(
      prefix, accept,
      [&](ObjectInfo&& o) {
        out.objects.push_back(std::move(o));
        return Status::OK();
      },
      &out.problems));
  std::sort(out.problems.begin(), out.problems.end(),
            [](const ListingProblem& a, const ListingProblem& b) { return a.key < b.key; });
  return out;
}

}  // namespace verger
