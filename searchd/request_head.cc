#include "request_head.h"

#include <cctype>
#include <cstring>

namespace searchd {
namespace {

// RFC 9110 tchar: the characters of methods and header field names.
bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Up to 200 bytes of a request line, for the access log (it escapes them).
std::string Clip(std::string_view s) { return std::string(s.substr(0, 200)); }

// The methods cpp-httplib 0.11 parses; it answers any other with a 400.
bool HttplibMethod(std::string_view m) {
  for (const char* k :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"})
    if (m == k) return true;
  return false;
}

// The request line as httplib should see it: a `?` after the target's first
// is written %3F (the same character once decoded: `q=a?b` is the query a?b),
// as httplib refuses a target with two.
std::string ForwardLine(std::string_view line, size_t target_start, size_t target_end) {
  const size_t first = line.find('?', target_start);
  if (first == std::string_view::npos || first >= target_end) return std::string(line);
  std::string out(line.substr(0, first + 1));
  for (size_t i = first + 1; i < target_end; ++i) {
    if (line[i] == '?')
      out += "%3F";
    else
      out += line[i];
  }
  out.append(line.substr(target_end));
  return out;
}

}  // namespace

bool IsBodyTarget(std::string_view method, std::string_view target) {
  return method == "POST" && target.substr(0, target.find('?')) == "/related";
}

size_t HeadParser::MaxBody() const {
  return IsBodyTarget(head_.method, head_.target) ? limits_.max_post_body : limits_.max_body;
}

void HeadParser::Reset() {
  head_ = RequestHead();
  pos_ = 0;
  blank_lines_ = 0;
  have_request_line_ = false;
  header_bytes_ = 0;
  headers_ = 0;
  have_length_ = false;
  have_host_ = false;
  host_fields_ = 0;
  http11_ = false;
}

bool HeadParser::Fail(int status, const char* code, std::string message) {
  head_.state = RequestHead::State::kError;
  head_.status = status;
  head_.code = code;
  head_.message = std::move(message);
  return false;
}

const RequestHead& HeadParser::Parse(std::string_view in) {
  while (head_.state == RequestHead::State::kIncomplete) {
    const size_t nl = in.find('\n', pos_);
    if (nl == std::string_view::npos) {
      // A line still arriving: refuse it as soon as it is too long.
      const size_t partial = in.size() - pos_;
      if (!have_request_line_) {
        if (partial > limits_.max_request_line) {
          head_.method = Clip(in.substr(pos_, in.find(' ', pos_) - pos_));
          Fail(414, "uri_too_long",
               "request line longer than " + std::to_string(limits_.max_request_line) + " bytes");
        }
      } else if (partial > limits_.max_header_line) {
        Fail(431, "header_too_large",
             "header field longer than " + std::to_string(limits_.max_header_line) + " bytes");
      } else if (header_bytes_ + partial > limits_.max_header_bytes) {
        Fail(431, "headers_too_large",
             "header fields longer than " + std::to_string(limits_.max_header_bytes) + " bytes in all");
      }
      break;
    }
    const std::string_view line = in.substr(pos_, nl + 1 - pos_);
    pos_ = nl + 1;
    if (!have_request_line_) {
      if (line == "\r\n" && blank_lines_ < 4) {  // RFC 9112 2.2: ignore a stray CRLF
        ++blank_lines_;
        continue;
      }
      if (!RequestLine(line)) break;
      have_request_line_ = true;
      continue;
    }
    if (line == "\r\n") {
      if (http11_ && !have_host_) {
        Fail(400, "bad_request", "HTTP/1.1 request without a Host header");
        break;
      }
      if (head_.body_bytes > MaxBody()) {
        Fail(413, "payload_too_large", "request body longer than " + std::to_string(MaxBody()) + " bytes");
        break;
      }
      head_.forward += "\r\n";
      head_.head_bytes = pos_;
      head_.state = RequestHead::State::kComplete;
      break;
    }
    if (!HeaderLine(line)) break;
  }
  return head_;
}

bool HeadParser::RequestLine(std::string_view line) {
  if (line.size() > limits_.max_request_line)
    return Fail(414, "uri_too_long",
                "request line longer than " + std::to_string(limits_.max_request_line) + " bytes");
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  head_.method = Clip(line.substr(0, sp1));
  if (sp2 != std::string_view::npos) head_.target = Clip(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (line.size() < 2 || line[line.size() - 2] != '\r')
    return Fail(400, "bad_request", "request line must end with CRLF");
  if (sp2 == std::string_view::npos) return Fail(400, "bad_request", "malformed request line");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1, line.size() - 2 - (sp2 + 1));
  if (method.empty() || method.size() > 32) return Fail(400, "bad_request", "malformed method");
  for (unsigned char c : method)
    if (!IsTokenChar(c)) return Fail(400, "bad_request", "malformed method");
  if (target.empty()) return Fail(400, "bad_request", "empty request target");
  for (unsigned char c : target)
    if (c <= 0x20 || c == 0x7F)
      return Fail(400, "bad_request", "control character or space in the request target");
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return Fail(400, "bad_request", "only HTTP/1.0 and HTTP/1.1 are supported");
  http11_ = version == "HTTP/1.1";
  head_.unknown_method = !HttplibMethod(method);
  if (head_.unknown_method) head_.full_target.assign(target);
  head_.forward = ForwardLine(line, sp1 + 1, sp2);
  return true;
}

bool HeadParser::HeaderLine(std::string_view line) {
  if (line.size() > limits_.max_header_line)
    return Fail(431, "header_too_large",
                "header field longer than " + std::to_string(limits_.max_header_line) + " bytes");
  header_bytes_ += line.size();
  if (header_bytes_ > limits_.max_header_bytes)
    return Fail(431, "headers_too_large",
                "header fields longer than " + std::to_string(limits_.max_header_bytes) + " bytes in all");
  if (++headers_ > limits_.max_headers)
    return Fail(431, "too_many_headers",
                "more than " + std::to_string(limits_.max_headers) + " header fields");
  if (line.size() < 2 || line[line.size() - 2] != '\r')
    return Fail(400, "bad_request", "header field must end with CRLF");
  const std::string_view content = line.substr(0, line.size() - 2);
  if (content.front() == ' ' || content.front() == '\t')
    return Fail(400, "bad_request", "folded header field (obs-fold)");
  const size_t colon = content.find(':');
  if (colon == 0 || colon == std::string_view::npos)
    return Fail(400, "bad_request", "malformed header field");
  const std::string_view name = content.substr(0, colon);
  for (unsigned char c : name)
    if (!IsTokenChar(c)) return Fail(400, "bad_request", "malformed header field name");
  const std::string_view value = Trim(content.substr(colon + 1));
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7F)
      return Fail(400, "bad_request", "control character in a header field");

  if (EqualsIgnoreCase(name, "Transfer-Encoding"))
    return Fail(400, "bad_request", "Transfer-Encoding is not supported (searchd takes no request bodies)");
  if (EqualsIgnoreCase(name, "Content-Length")) {
    if (value.empty() || value.size() > 18) {
      if (value.size() > 18) {
        bool digits = true;
        for (char c : value) digits = digits && c >= '0' && c <= '9';
        if (digits)
          return Fail(413, "payload_too_large", "request body longer than " + std::to_string(MaxBody()) + " bytes");
      }
      return Fail(400, "bad_request", "malformed Content-Length");
    }
    size_t n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return Fail(400, "bad_request", "malformed Content-Length");
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (have_length_ && n != head_.body_bytes)
      return Fail(400, "bad_request", "conflicting Content-Length fields");
    have_length_ = true;
    head_.body_bytes = n;
  } else if (EqualsIgnoreCase(name, "Content-Encoding")) {
    // Issue 28: a body is never decoded (a small compressed body can expand
    // to gigabytes), so it is refused before any of it is read.
    if (!EqualsIgnoreCase(value, "identity"))
      return Fail(415, "unsupported_media_type",
                  "Content-Encoding is not supported: searchd does not decode request bodies");
    return true;  // identity: nothing to decode
  } else if (EqualsIgnoreCase(name, "Host")) {
    if (host_fields_++) return Fail(400, "bad_request", "more than one Host header");
    // An empty Host is no Host (httplib drops empty fields): an HTTP/1.1
    // request with one is refused below, and it never passes the loopback
    // Host check as a request without Host would.
    if (value.empty()) return true;
    have_host_ = true;
  } else if (EqualsIgnoreCase(name, "Expect")) {
    head_.expect_continue = EqualsIgnoreCase(value, "100-continue");
    return true;  // answered here, not by httplib
  } else if (EqualsIgnoreCase(name, "Range") || EqualsIgnoreCase(name, "If-Range")) {
    return true;  // API responses are never partial
  }
  head_.forward.append(line);
  return true;
}

}  // namespace searchd
