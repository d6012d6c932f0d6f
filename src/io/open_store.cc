#include <filesystem>
#include <system_error>

#include "io/local_store.h"
#include "io/memory_store.h"
#include "io/s3_store.h"

namespace verger {

namespace {

Result<std::unique_ptr<ObjectStore>> OpenUnwrapped(std::string_view uri, const StoreOptions& options) {
  std::string u(uri);
  if (u.empty()) return Status::InvalidArgument("empty location: give a directory or s3://bucket/prefix");
  auto scheme_end = u.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = u.substr(0, scheme_end);
    if (scheme == "file") {
      u = u.substr(scheme_end + 3);
    } else if (scheme == "s3") {
      VERGER_ASSIGN_OR_RETURN(auto store, S3ObjectStore::Open(u, options));
      return std::unique_ptr<ObjectStore>(std::move(store));
    } else if (scheme == "mem") {
      VERGER_ASSIGN_OR_RETURN(auto store, MemoryObjectStore::Open(u, options));
      return std::unique_ptr<ObjectStore>(std::move(store));
    } else {
      return Status::InvalidArgument(u + ": unknown scheme '" + scheme + "://' (use a local path, s3:// or mem://)");
    }
  }
  while (u.size() > 1 && u.back() == '/') u.pop_back();
  std::filesystem::path root(u);
  std::error_code ec;
  if (options.create) {
    // A file where a folder must go is the user's mistake, not an I/O failure.
    if (std::filesystem::exists(root, ec) && !std::filesystem::is_directory(root, ec))
      return Status::InvalidArgument(root.string() + ": is a file, not a directory; name a folder to write into");
    std::filesystem::create_directories(root, ec);
    if (ec) return Status::IOError(root.string() + ": cannot create directory: " + ec.message());
  }
  if (!std::filesystem::exists(root, ec)) return Status::NotFound(root.string() + ": no such directory");
  if (!std::filesystem::is_directory(root, ec)) return Status::InvalidArgument(root.string() + ": not a directory");
  return std::unique_ptr<ObjectStore>(std::make_unique<LocalObjectStore>(std::filesystem::absolute(root).lexically_normal()));
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri, const StoreOptions& options) {
  VERGER_ASSIGN_OR_RETURN(auto store, OpenUnwrapped(uri, options));
  if (options.wrap) store = options.wrap(std::move(store));
  return store;
}

}  // namespace verger
