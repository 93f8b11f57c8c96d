// Internal: the generation/stub layout of a database directory (see index.h).
#pragma once

#include <string>

#include "tongwen/status.h"

namespace tongwen::layout {

constexpr const char* kStubName = "XAPIANDB";

// Exclusive writer lock on DIR/.lock (flock), released on destruction.
class WriterLock {
 public:
  WriterLock() = default;
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  // Creates DIR if needed. Fails (kUnavailable) if another writer still
  // holds the lock after `wait_seconds` (0: at once).
  Status Acquire(const std::string& dir, double wait_seconds = 0);

 private:
  int fd_ = -1;
};

// Number of the live generation (0 = none yet).
int LiveNumber(const std::string& dir);
// Atomically points DIR/XAPIANDB at gen-N.
Status PointStubAt(const std::string& dir, int n);
// Removes tmp-* leftovers and generations older than the previous one.
// REQUIRES: the writer lock is held.
void CleanUp(const std::string& dir);
std::string GenPath(const std::string& dir, int n);
uint64_t DirectorySize(const std::string& path);

}  // namespace tongwen::layout
