#include "util/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tongwen {

LineReader::~LineReader() {
  if (gz_) gzclose(gz_);
}

Status LineReader::Open(const std::string& path) {
  path_ = path;
  int fd = path == "-" ? dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      return Status::IOError(path + ": is a directory");
    }
    if (S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
  }
  gz_ = gzdopen(fd, "rb");  // reads plain files transparently
  if (!gz_) {
    ::close(fd);
    return Status::IOError(path + ": cannot open");
  }
  gzbuffer(gz_, 1 << 18);
  return Status::Ok();
}

uint64_t LineReader::raw_offset() const {
  if (!gz_) return 0;
  // gzoffset() needs lseek(), which fails on pipes: count what we read.
  if (size_ == 0) return consumed_;
  z_off_t off = gzoffset(gz_);
  return off < 0 ? consumed_ : static_cast<uint64_t>(off);
}

bool LineReader::Fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const size_t old = buf_.size();
  buf_.resize(old + (1 << 16));
  int n = gzread(gz_, buf_.data() + old, 1 << 16);
  if (n <= 0) {
    buf_.resize(old);
    eof_ = true;
    // A truncated .gz ends with gzread() == 0 and Z_BUF_ERROR ("unexpected
    // end of file"): that is a read error, not the end of the input.
    int err = Z_OK;
    const char* msg = gzerror(gz_, &err);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
      // zlib's message starts with the name gzdopen() gave the stream ("<fd:4>: ").
      std::string what = msg && *msg ? msg : "unknown";
      if (what.rfind("<fd:", 0) == 0 && what.find(">: ") != std::string::npos)
        what.erase(0, what.find(">: ") + 3);
      status_ = Status::IOError(path_ + ": read error at line " + std::to_string(line_no_ + 1) + ": " + what +
                                " (the input is truncated or corrupt)");
    }
    return false;
  }
  consumed_ += static_cast<uint64_t>(n);
  buf_.resize(old + static_cast<size_t>(n));
  return true;
}

bool LineReader::Next(std::string* line, size_t max_bytes, bool* too_long) {
  line->clear();
  *too_long = false;
  if (!gz_) return false;
  bool any = false;
  for (;;) {
    size_t nl = buf_.find('\n', pos_);
    size_t end = nl == std::string::npos ? buf_.size() : nl;
    size_t take = end - pos_;
    if (!*too_long) {
      if (line->size() + take > max_bytes) {
        line->append(buf_, pos_, max_bytes - line->size());
        *too_long = true;
      } else {
        line->append(buf_, pos_, take);
      }
    }
    if (take > 0) any = true;
    pos_ = end;
    if (nl != std::string::npos) {
      ++pos_;
      ++line_no_;
      if (!*too_long && !line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    // Drop consumed bytes so a huge line never accumulates in buf_.
    buf_.clear();
    pos_ = 0;
    if (!Fill()) {
      // The part of a line before a read error is not a line.
      if (!any || !status_.ok()) return false;
      ++line_no_;
      if (!*too_long && !line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
  }
}

}  // namespace tongwen
