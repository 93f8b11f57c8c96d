#include "store/db_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace tongwen::layout {

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Status WriterLock::Acquire(const std::string& dir, double wait_seconds) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::string p = dir + "/.lock";
  fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::IOError(p + ": " + std::strerror(errno));
  // Polled rather than a blocking flock, so that the wait is bounded.
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= until) {
      char waited[48] = "";
      if (wait_seconds > 0) std::snprintf(waited, sizeof waited, " (waited %.0f s)", wait_seconds);
      return Status::Unavailable(dir + ": another indexer is writing to this database" + waited);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Ok();
}

std::string GenPath(const std::string& dir, int n) { return dir + "/gen-" + std::to_string(n); }

int LiveNumber(const std::string& dir) {
  std::ifstream in(dir + "/" + kStubName);
  std::string kind, target;
  if (!(in >> kind >> target)) return 0;
  if (target.rfind("gen-", 0) != 0) return 0;
  try {
    return std::stoi(target.substr(4));
  } catch (...) {
    return 0;
  }
}

Status PointStubAt(const std::string& dir, int n) {
  std::string tmp = dir + "/" + kStubName + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "auto gen-" << n << "\n";
    out.flush();
    if (!out) return Status::IOError(tmp + ": write failed");
  }
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(tmp.c_str(), (dir + "/" + kStubName).c_str()) != 0)
    return Status::IOError(dir + ": cannot replace stub: " + std::strerror(errno));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

void CleanUp(const std::string& dir) {
  const int live = LiveNumber(dir);
  int previous = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("gen-", 0) == 0) {
      int n = std::atoi(name.c_str() + 4);
      if (n < live && n > previous) previous = n;
    }
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    bool remove = name.rfind("tmp-", 0) == 0;
    if (name.rfind("gen-", 0) == 0) {
      int n = std::atoi(name.c_str() + 4);
      // Keep the live generation and the one before it (readers may still
      // have it open); anything newer than live is a crashed, unswapped build.
      remove = n != live && n != previous;
    }
    if (remove) fs::remove_all(e.path(), ec);
  }
}

uint64_t DirectorySize(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(path, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

}  // namespace tongwen::layout
