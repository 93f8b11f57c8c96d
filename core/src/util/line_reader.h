// Streaming line reader over a file, a .gz file or stdin ("-").
// Never holds more than one line (up to a limit) in memory.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>

#include "tongwen/status.h"

namespace tongwen {

class LineReader {
 public:
  LineReader() = default;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  Status Open(const std::string& path);
  // Reads the next line (without '\n' or a trailing '\r'). Returns false at
  // end of input. A line longer than max_bytes is consumed but not stored:
  // *too_long is set and *line holds its first max_bytes bytes.
  bool Next(std::string* line, size_t max_bytes, bool* too_long);
  uint64_t line_number() const { return line_no_; }
  // Bytes consumed from the underlying file (compressed bytes for .gz).
  uint64_t raw_offset() const;
  // File size, 0 if unknown (stdin, pipes).
  uint64_t raw_size() const { return size_; }
  // A read error seen by Next (kIOError: "PATH: read error at line N: ..."),
  // else OK. Next returns false at a read error, without the partial line.
  const Status& status() const { return status_; }

 private:
  bool Fill();
  gzFile gz_ = nullptr;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  uint64_t line_no_ = 0;
  uint64_t size_ = 0;
  uint64_t consumed_ = 0;  // uncompressed bytes returned by gzread
  std::string path_;
  Status status_;
};

}  // namespace tongwen
