// libFuzzer target over every reader of files verger itself writes but may
// find damaged or hostile on --resume / transform / fit-pca: model specs,
// manifest / marker JSON (through the --resume row index), PCA statistics,
// .npy arrays and CSV / NPY feature tables. The first byte picks the reader.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/npy.h"
#include "engine/job_records.h"
#include "engine/output_layout.h"
#include "engine/row_reuse.h"
#include "io/object_store.h"
#include "model/model_spec.h"
#include "reduce/pca_stats.h"
#include "sink/table.h"

namespace {

// A real (if tiny) in-memory ObjectStore, so the marker reader runs its
// production code path.
class MemoryStore : public verger::ObjectStore {
 public:
  std::map<std::string, std::vector<uint8_t>> objects;
  std::string uri() const override { return "mem://fuzz"; }
  std::string Describe(std::string_view key) const override { return "mem://fuzz/" + std::string(key); }
  verger::Result<verger::Listing> List(std::string_view prefix, bool (*accept)(std::string_view)) const override {
    verger::Listing l;
    for (const auto& [k, v] : objects)
      if (k.compare(0, prefix.size(), prefix) == 0 && (!accept || accept(k))) l.objects.push_back({k, v.size(), 0, ""});
    return l;
  }
  verger::Result<std::vector<uint8_t>> Read(std::string_view key) const override {
    auto it = objects.find(std::string(key));
    if (it == objects.end()) return verger::Status::NotFound(Describe(key));
    return it->second;
  }
  verger::Status WriteAtomic(std::string_view key, std::span<const uint8_t> data) override {
    objects[std::string(key)].assign(data.begin(), data.end());
    return verger::Status::OK();
  }
  verger::Result<bool> Exists(std::string_view key) const override { return objects.count(std::string(key)) > 0; }
  verger::Status Delete(std::string_view key) override {
    objects.erase(std::string(key));
    return verger::Status::OK();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t which = data[0] % 6;
  std::vector<uint8_t> bytes(data + 1, data + size);
  const std::string text(bytes.begin(), bytes.end());
  switch (which) {
    case 0: {
      auto spec = verger::ParseModelSpec(text, "/nonexistent/fuzz.json");
      if (spec.ok()) (void)verger::ModelSpecToJson(*spec);
      break;
    }
    case 1: {
      auto stats = verger::PcaStats::Deserialize(bytes, "fuzz.pcastats");
      if (stats.ok()) (void)stats->Serialize();
      break;
    }
    case 2:
      (void)verger::DecodeNpy(bytes, "fuzz.npy");
      break;
    case 3:
    case 4: {
      auto format = verger::MakeTableFormat(which == 3 ? "csv" : "npy");
      if (!format.ok()) __builtin_trap();
      std::vector<std::vector<uint8_t>> files;
      if (which == 3) {
        files.push_back(bytes);
      } else {  // npy: array + keys; split the input in two
        const size_t half = bytes.size() / 2;
        files.emplace_back(bytes.begin(), bytes.begin() + half);
        files.emplace_back(bytes.begin() + half, bytes.end());
      }
      auto table = (*format)->Decode(files, "fuzz");
      if (table.ok() && static_cast<int64_t>(table->values.size()) != table->rows() * table->dim) __builtin_trap();
      break;
    }
    case 5: {
      // A damaged marker (and manifest) in an output being resumed.
      MemoryStore store;
      store.objects["_partitions/part-00000.json"] = bytes;
      store.objects["manifest.json"] = bytes;
      (void)verger::ReadJson(store, "manifest.json");
      (void)verger::ReadManifest(store, "manifest.json");
      // What FromJson accepts, ToJson writes back in a form FromJson accepts again.
      auto marker = verger::ReadPartitionMarker(store, 0);
      if (marker.ok() && !verger::PartitionMarker::FromJson(marker->ToJson(), "fuzz").ok()) __builtin_trap();
      auto manifest = verger::ReadManifest(store, "manifest.json");
      if (manifest.ok() && !verger::FeaturesManifest::FromJson(manifest->ToJson(), "fuzz").ok()) __builtin_trap();
      auto reuse = verger::RowReuse::Load(store, "m", 2);
      if (reuse.ok()) {
        verger::ImageItem item{"a/b.jpg", "a", 1, 2, ""};
        float row[2];
        (void)(*reuse)->Take(store, item, row);
      }
      break;
    }
  }
  return 0;
}
