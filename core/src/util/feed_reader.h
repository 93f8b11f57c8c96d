// A line reader for a feed that has no end yet: a file, a named pipe or
// stdin ("-") read with poll(2), so that a caller waiting for the next line
// can give up after a timeout (to commit what it holds, or to notice a stop
// request) and read on later. Plain text only (no .gz).
#pragma once

#include <cstdint>
#include <string>

#include "tongwen/status.h"

namespace tongwen {

class FeedReader {
 public:
  enum class Event { kLine, kTimeout, kEnd };

  FeedReader() = default;
  ~FeedReader();
  FeedReader(const FeedReader&) = delete;
  FeedReader& operator=(const FeedReader&) = delete;

  // Opens `path` ("-" = stdin). Opening a named pipe waits for a writer; a
  // signal that interrupts the wait makes it fail (kUnavailable).
  Status Open(const std::string& path);
  // The next line (without '\n' or a trailing '\r'), waiting up to
  // timeout_ms for it; with timeout_ms 0 only a line already read into the
  // buffer is returned. A line longer than max_bytes is consumed but not
  // stored: *too_long is set. kTimeout also when a signal interrupted the
  // wait. kEnd at the end of input, or at a read error (see status()); a
  // last line without '\n' is returned before kEnd.
  Event Next(std::string* line, size_t max_bytes, bool* too_long, int timeout_ms);
  uint64_t line_number() const { return line_no_; }
  // Bytes of a line read but not ended yet (what a stop now would drop).
  size_t partial_bytes() const { return buf_.size() - pos_ + (skipping_ ? 1 : 0); }
  // A read error seen by Next ("PATH: read error at line N: reason"), else OK.
  const Status& status() const { return status_; }

 private:
  // Takes one complete line out of the buffer, if there is one.
  bool TakeLine(std::string* line, size_t max_bytes, bool* too_long);
  // One read(2) into the buffer; false at the end of input or an error.
  bool ReadMore();

  int fd_ = -1;
  bool own_fd_ = false, eof_ = false, skipping_ = false;
  std::string path_, buf_;
  size_t pos_ = 0;
  uint64_t line_no_ = 0;
  Status status_;
};

}  // namespace tongwen
