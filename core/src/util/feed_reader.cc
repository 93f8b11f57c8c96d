#include "util/feed_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <poll.h>

namespace tongwen {

FeedReader::~FeedReader() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

Status FeedReader::Open(const std::string& path) {
  path_ = path;
  if (path == "-") {
    fd_ = STDIN_FILENO;
    return Status::Ok();
  }
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    if (err == EINTR) return Status::Unavailable(path + ": interrupted while waiting for a writer");
    return Status::IOError(path + ": " + std::strerror(err));
  }
  own_fd_ = true;
  return Status::Ok();
}

bool FeedReader::TakeLine(std::string* line, size_t max_bytes, bool* too_long) {
  for (;;) {
    const size_t nl = buf_.find('\n', pos_);
    if (skipping_) {  // the rest of a line already reported too long
      if (nl == std::string::npos) {
        buf_.clear();
        pos_ = 0;
        return false;
      }
      skipping_ = false;
      pos_ = nl + 1;
      continue;
    }
    const bool whole = nl != std::string::npos;
    const size_t end = whole ? nl : buf_.size();
    if (end - pos_ > max_bytes) {  // too long: keep its start, skip the rest
      line->assign(buf_, pos_, max_bytes);
      *too_long = true;
      ++line_no_;
      skipping_ = !whole;
      pos_ = whole ? nl + 1 : buf_.size();
      return true;
    }
    if (!whole && !(eof_ && pos_ < buf_.size())) return false;
    line->assign(buf_, pos_, end - pos_);
    if (!line->empty() && line->back() == '\r') line->pop_back();
    *too_long = false;
    ++line_no_;
    pos_ = whole ? nl + 1 : buf_.size();
    return true;
  }
}

bool FeedReader::ReadMore() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) return true;  // the caller checks for a stop
    if (n < 0 && errno == EAGAIN) return true;
    if (n < 0) {  // the partial line is dropped, not returned
      status_ = Status::IOError(path_ + ": read error at line " + std::to_string(line_no_ + 1) + ": " +
                                std::strerror(errno));
      buf_.clear();
    }
    eof_ = true;
    return false;
  }
}

FeedReader::Event FeedReader::Next(std::string* line, size_t max_bytes, bool* too_long, int timeout_ms) {
  if (TakeLine(line, max_bytes, too_long)) return Event::kLine;
  if (eof_ || timeout_ms <= 0) return eof_ ? Event::kEnd : Event::kTimeout;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r == 0 || (r < 0 && errno == EINTR)) return Event::kTimeout;
  if (r < 0) {
    status_ = Status::IOError(path_ + ": poll: " + std::strerror(errno));
    return Event::kEnd;
  }
  if (!ReadMore() && !TakeLine(line, max_bytes, too_long)) return Event::kEnd;
  if (eof_) return Event::kLine;  // TakeLine above returned the last line
  return TakeLine(line, max_bytes, too_long) ? Event::kLine : Event::kTimeout;
}

}  // namespace tongwen
