// Frames HTTP/1.1 requests before cpp-httplib sees them: the request line
// and header fields are read and checked against limits here, so that
// searchd decides where each request ends (head + Content-Length) and
// httplib only ever parses one complete, bounded request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace searchd {

struct HeadLimits {
  size_t max_request_line = 8192;   // bytes, CRLF included (414 past it)
  size_t max_header_line = 8192;    // one header field line, CRLF included (431)
  size_t max_header_bytes = 16384;  // all header field lines together (431)
  size_t max_headers = 100;         // header fields (431)
  size_t max_body = 64 * 1024;      // Content-Length (413)
  // Content-Length of a request that takes a body (IsBodyTarget: POST
  // /related, issue 25; 413 past it).
  size_t max_post_body = 256 * 1024;
};

// Whether `method` on `target` is a request that takes a body (POST /related,
// issue 25): its Content-Length may reach max_post_body.
bool IsBodyTarget(std::string_view method, std::string_view target);

struct RequestHead {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  // kError: the status to answer (400, 413, 414, 415, 431), an error code and a
  // message for the client; the connection is then closed.
  int status = 0;
  std::string code, message;
  // As far as they were read (for the access log).
  std::string method, target;
  // kComplete: bytes of the head in the input (up to and including the blank
  // line) and of the body (Content-Length; 0 without one).
  size_t head_bytes = 0;
  size_t body_bytes = 0;
  // kComplete: the head as httplib should see it, without the fields searchd
  // does not honour (Range, If-Range, Expect, an empty Host) and with a `?`
  // after the target's first written %3F (httplib refuses a second `?`).
  std::string forward;
  // A well-formed method that httplib does not know (FOO): searchd answers
  // it itself (405 on an API path, 404 elsewhere), as httplib would say 400.
  bool unknown_method = false;
  std::string full_target;       // with unknown_method: the whole request target
  bool expect_continue = false;  // "Expect: 100-continue" was sent
};

// Reads a request head incrementally: Parse() is called with the connection's
// buffered input, which starts at a request and grows between calls; lines
// already read are not read again.
class HeadParser {
 public:
  explicit HeadParser(const HeadLimits& limits) : limits_(limits) {}

  // The result so far; once kComplete or kError, it does not change until
  // Reset().
  const RequestHead& Parse(std::string_view input);
  // For the next request (its input starts at the next request's first byte).
  void Reset();

 private:
  bool Fail(int status, const char* code, std::string message);
  size_t MaxBody() const;  // for the request line read
  bool RequestLine(std::string_view line);
  bool HeaderLine(std::string_view line);

  HeadLimits limits_;
  RequestHead head_;
  size_t pos_ = 0;          // start of the next unread line
  size_t blank_lines_ = 0;  // empty lines before the request line
  bool have_request_line_ = false;
  size_t header_bytes_ = 0;
  size_t headers_ = 0;
  bool have_length_ = false;
  bool have_host_ = false;  // a Host field with a value
  size_t host_fields_ = 0;
  bool http11_ = false;
};

}  // namespace searchd
