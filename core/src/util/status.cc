#include "tongwen/status.h"

namespace tongwen {

const char* Status::code_name() const {
  switch (code_) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "io_error";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = code_name();
  s += ": ";
  if (!where_.empty()) {
    s += where_;
    s += ": ";
  }
  s += message_;
  return s;
}

}  // namespace tongwen
