#include "io/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "core/file_util.h"

namespace verger {

namespace fs = std::filesystem;

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty object key");
  if (key.find('\0') != std::string_view::npos)
    return Status::InvalidArgument("object key contains a NUL byte");
  if (key.front() == '/') return Status::InvalidArgument("object key '" + std::string(key) + "' is absolute");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      return Status::InvalidArgument("object key '" + std::string(key) +
                                     "' has an empty, '.' or '..' component");
    if (part.size() > 255)
      return Status::InvalidArgument("object key '" + std::string(key) + "' has a component over 255 bytes");
    start = end + 1;
  }
  return Status::OK();
}

std::string LocalObjectStore::Describe(std::string_view key) const { return (root_ / std::string(key)).string(); }

namespace {

std::string RelativeKey(const fs::path& root, const fs::path& p) {
  return p.lexically_relative(root).generic_string();
}

}  // namespace

Result<Listing> LocalObjectStore::List(std::string_view prefix, bool (*accept)(std::string_view)) const {
  return ListFromEach(prefix, accept);
}

Status LocalObjectStore::ListEach(std::string_view prefix, bool (*accept)(std::string_view), const ObjectVisitor& visit,
                                  std::vector<ListingProblem>* problems) const {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return Status::NotFound(root_.string() + ": no such directory");
  // Walk the folder part of the prefix; filter the rest by string prefix.
  const std::string pfx(prefix);
  fs::path start = root_;
  auto slash = pfx.rfind('/');
  if (slash != std::string::npos) start = root_ / pfx.substr(0, slash);
  if (!fs::exists(start, ec)) return Status::OK();
  const std::string start_key = slash == std::string::npos ? std::string() : pfx.substr(0, slash);
  return WalkSorted(start, start_key, pfx, accept, visit, problems, /*top=*/true);
}

// Depth first, one folder's entries in memory at a time. Entries are visited
// in the order of their name with '/' appended to folders, which is exactly
// bytewise order of the full keys ("a.jpg" < "a/x.jpg" as '.' < '/').
// Keys are built from the folder's key and the entry name (no path
// arithmetic). Listing a million files is dominated by system calls, so each
// entry costs at most one, relative to the open folder (fstatat: no walk of
// the full path), and none when readdir's type says it is a folder or a file
// the caller does not accept.
Status LocalObjectStore::WalkSorted(const fs::path& dir, const std::string& dir_key, const std::string& pfx,
                                    bool (*accept)(std::string_view), const ObjectVisitor& visit,
                                    std::vector<ListingProblem>* problems, bool top) const {
  struct Entry {
    std::string order;  // name, plus '/' for folders
    fs::path path;      // empty for objects
    std::string key;    // folders' key
    ObjectInfo object;
  };
  std::vector<Entry> entries;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    const int err = errno;
    if (err == EACCES) return Status::OK();  // as a walk that skips what it may not read
    if (top) return Status::IOError(dir.string() + ": cannot list: " + ErrnoMessage(err));
    problems->push_back({RelativeKey(root_, dir), "cannot list: " + ErrnoMessage(err)});
    return Status::OK();
  }
  const int dfd = ::dirfd(d);
  while (true) {
    errno = 0;
    const dirent* de = ::readdir(d);
    if (de == nullptr) {
      // A folder that vanished or failed mid-read: note it and keep what was read.
      if (errno != 0) problems->push_back({RelativeKey(root_, dir), "cannot list: " + ErrnoMessage(errno)});
      break;
    }
    const char* raw = de->d_name;
    if (raw[0] == '.') continue;  // hidden files, our own temporaries, "." and ".."
    std::string name(raw);
    std::string key = dir_key.empty() ? name : dir_key + '/' + name;
    if (!pfx.empty() && key.compare(0, pfx.size(), pfx) != 0) continue;
    const unsigned char type = de->d_type;
    if (type == DT_REG && accept != nullptr && !accept(key)) continue;  // not wanted: not even stat'ed
    struct stat st {};
    if (type == DT_DIR) {
      st.st_mode = S_IFDIR;
    } else if (::fstatat(dfd, raw, &st, 0) != 0) {  // follows symlinks, as the walk does
      const int err = errno;
      if (accept == nullptr || accept(key)) problems->push_back({key, "cannot stat: " + ErrnoMessage(err)});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      const fs::path p = dir / name;
      // A folder whose name looks like an object we want is reported, and
      // still walked (it may hold images).
      if (accept != nullptr && accept(key)) problems->push_back({key, "is a directory, not a file"});
      if (::faccessat(dfd, raw, R_OK | X_OK, 0) != 0) {
        problems->push_back({key, "cannot list directory: " + ErrnoMessage(errno)});
        continue;
      }
      // A symlink pointing at one of its own ancestors would recurse forever.
      if (type != DT_DIR) {
        struct stat link {};
        std::error_code sec;
        if (::fstatat(dfd, raw, &link, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link.st_mode)) {
          fs::path target = fs::canonical(p, sec);
          fs::path parent = fs::canonical(dir, sec);
          if (!sec && std::mismatch(target.begin(), target.end(), parent.begin(), parent.end()).first ==
                          target.end()) {
            problems->push_back({key, "symlink loop: points at its own ancestor " + target.string()});
            continue;
          }
        }
      }
      entries.push_back({name + '/', p, std::move(key), {}});
      continue;
    }
    if (accept != nullptr && !accept(key)) continue;
    if (!S_ISREG(st.st_mode)) {
      problems->push_back({key, "not a regular file"});
      continue;
    }
    ObjectInfo info;
    info.key = std::move(key);
    info.size = static_cast<uint64_t>(st.st_size);
    info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    entries.push_back({std::move(name), {}, {}, std::move(info)});
  }
  ::closedir(d);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.order < b.order; });
  for (auto& e : entries) {
    if (e.path.empty()) {
      VERGER_RETURN_IF_ERROR(visit(std::move(e.object)));
    } else {
      VERGER_RETURN_IF_ERROR(WalkSorted(e.path, e.key, pfx, accept, visit, problems, /*top=*/false));
    }
  }
  return Status::OK();
}

Result<std::vector<uint8_t>> LocalObjectStore::Read(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  return ReadFileBytes(root_ / std::string(key));
}

Result<std::vector<uint8_t>> LocalObjectStore::ReadAtMost(std::string_view key, uint64_t max_bytes) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  return ReadFileBytes(root_ / std::string(key), max_bytes);
}

Status LocalObjectStore::WriteAtomic(std::string_view key, std::span<const uint8_t> data) {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  return WriteFileAtomic(root_ / std::string(key), data);
}

Result<bool> LocalObjectStore::Exists(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  std::error_code ec;
  bool e = fs::exists(root_ / std::string(key), ec);
  if (ec) return Status::IOError(Describe(key) + ": " + ec.message());
  return e;
}

Status LocalObjectStore::Delete(std::string_view key) {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  std::error_code ec;
  fs::remove(root_ / std::string(key), ec);
  if (ec) return Status::IOError(Describe(key) + ": cannot delete: " + ec.message());
  // Object stores have no folders: drop the ones this key emptied (e.g. a
  // label=<L>/ whose last table went), never the root. rmdir refuses
  // non-empty folders, so nothing else can go.
  for (fs::path dir = fs::path(std::string(key)).parent_path(); !dir.empty(); dir = dir.parent_path())
    if (::rmdir((root_ / dir).c_str()) != 0) break;
  return Status::OK();
}

}  // namespace verger
