#include "index/write_errors.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tongwen {
namespace {

// Glass writes whole blocks (at most 64 KiB): a write that failed at the
// size limit leaves its file within one block of it.
constexpr uint64_t kMaxBlock = 64 * 1024;

bool FileAtSizeLimit(const std::string& dir) {
  rlimit fsize{};
  if (getrlimit(RLIMIT_FSIZE, &fsize) != 0 || fsize.rlim_cur == RLIM_INFINITY) return false;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.file_size(ec) + kMaxBlock > fsize.rlim_cur) return true;
  return false;
}

// The error allocating a 1 MiB file in `dir` gives, or 0.
int ProbeAllocation(const std::string& dir) {
  const std::string probe = dir + "/.write-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  int err = posix_fallocate(fd, 0, 1 << 20);
  if (err == EOPNOTSUPP || err == EINVAL) err = 0;  // the filesystem cannot tell
  ::close(fd);
  ::unlink(probe.c_str());
  return err;
}

}  // namespace

Status WriteFailureOf(std::exception_ptr e, const std::string& db_dir) {
  try {
    if (e) std::rethrow_exception(e);
  } catch (const Xapian::Error& x) {
    return WriteError(db_dir, db_dir, x);
  } catch (const std::exception& x) {
    return Status::IOError(db_dir + ": " + x.what());
  } catch (...) {
  }
  return Status::IOError(db_dir + ": the writer stopped on an unknown error");
}

Status WriteError(const std::string& where, const std::string& dir, const Xapian::Error& e) {
  const char* system_error = e.get_error_string();
  if (system_error && *system_error) return Status::IOError(where + ": " + e.get_description());
  if (FileAtSizeLimit(dir))
    return Status::IOError(where + ": " + std::strerror(EFBIG) + " (file size limit)");
  if (const int err = ProbeAllocation(dir)) return Status::IOError(where + ": " + std::strerror(err));
  return Status::IOError(where + ": " + e.get_description());
}

}  // namespace tongwen
