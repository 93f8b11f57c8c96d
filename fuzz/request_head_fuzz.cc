// libFuzzer target: searchd's request framing (searchd/request_head.cc) on
// arbitrary bytes, as a client sends them in pieces. The first byte picks
// how the input is cut into reads. Besides the sanitizers, checks what
// request_head.h promises (issue 28): the result does not depend on how the
// input arrived; an error is one of the statuses it names; a complete head
// lies within the input, ends with a blank line, has a body within the cap,
// and is forwarded to httplib with the request line's target holding at
// most one `?` and without a Content-Encoding other than identity, an empty
// Host, Range, If-Range or Expect.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "request_head.h"

namespace {

using searchd::HeadLimits;
using searchd::HeadParser;
using searchd::RequestHead;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "request_head_fuzz: %s\n", what);
  std::abort();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

void CheckComplete(const RequestHead& h, std::string_view in, const HeadLimits& limits) {
  if (h.head_bytes == 0 || h.head_bytes > in.size()) Fail("head outside the input");
  if (in.substr(0, h.head_bytes).size() < 4 || in.substr(h.head_bytes - 2, 2) != "\r\n")
    Fail("head does not end with CRLF");
  if (h.body_bytes > (searchd::IsBodyTarget(h.method, h.target) ? limits.max_post_body : limits.max_body))
    Fail("body over the cap accepted");
  const std::string_view fwd = h.forward;
  if (fwd.size() < 4 || fwd.substr(fwd.size() - 4) != "\r\n\r\n")
    Fail("forwarded head not closed by a blank line");
  const std::string_view line = fwd.substr(0, fwd.find("\r\n"));
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) Fail("forwarded request line malformed");
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = target.find('?');
  if (q != std::string_view::npos && target.find('?', q + 1) != std::string_view::npos)
    Fail("forwarded target holds two '?'");
  const std::string fields = Lower(fwd.substr(line.size()));
  for (const char* dropped : {"\r\nrange:", "\r\nif-range:", "\r\nexpect:", "\r\ntransfer-encoding:"})
    if (fields.find(dropped) != std::string::npos) Fail("a field searchd drops was forwarded");
  for (size_t p = fields.find("\r\ncontent-encoding:"); p != std::string::npos;
       p = fields.find("\r\ncontent-encoding:", p + 1))
    if (fields.substr(p + 19, fields.find("\r\n", p + 2) - p - 19).find("identity") == std::string::npos)
      Fail("a Content-Encoding other than identity was forwarded");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;  // bytes per read
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  HeadLimits limits;
  limits.max_body = 1024;
  limits.max_post_body = 4096;

  HeadParser whole(limits);
  const RequestHead a = whole.Parse(in);
  HeadParser pieces(limits);
  RequestHead b;
  for (size_t n = std::min(step, in.size());; n = std::min(n + step, in.size())) {
    b = pieces.Parse(in.substr(0, n));
    if (b.state != RequestHead::State::kIncomplete || n == in.size()) break;
  }
  if (a.state != b.state || a.status != b.status || a.head_bytes != b.head_bytes ||
      a.body_bytes != b.body_bytes || a.forward != b.forward)
    Fail("the result depends on how the input arrived");
  if (a.state == RequestHead::State::kError) {
    const int s = a.status;
    if (s != 400 && s != 413 && s != 414 && s != 415 && s != 431) Fail("unexpected error status");
    if (a.code.empty() || a.message.empty()) Fail("error without a code or message");
  } else if (a.state == RequestHead::State::kComplete) {
    CheckComplete(a, in, limits);
  }
  return 0;
}
