// Errors are values inside the engine (LevelDB's Status, Typesense's Option).
// Xapian exceptions and ICU UErrorCodes are converted into a Status at the
// boundary where they happen; handlers map Status::code() onto HTTP codes.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tongwen {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // bad input from the caller (HTTP 400)
  kNotFound,         // unknown id (HTTP 404)
  kCorruption,       // a file or database that cannot be read (HTTP 500)
  kIOError,          // filesystem or database I/O (HTTP 500/503)
  kUnavailable,      // not ready yet, e.g. database not open (HTTP 503)
  kInternal,         // a bug or unexpected library error (HTTP 500)
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg, std::string where = {}) {
    return Status(Code::kInvalidArgument, std::move(msg), std::move(where));
  }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // For kInvalidArgument: the parameter (or FILE:LINE) that was wrong.
  const std::string& where() const { return where_; }
  // A short machine-readable name, e.g. "invalid_argument".
  const char* code_name() const;
  std::string ToString() const;

 private:
  Status(Code c, std::string msg, std::string where = {})
      : code_(c), message_(std::move(msg)), where_(std::move(where)) {}
  Code code_ = Code::kOk;
  std::string message_;
  std::string where_;
};

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status s) : v_(std::move(s)) {}     // NOLINT: REQUIRES: !s.ok()
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tongwen
