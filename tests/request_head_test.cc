// searchd's request framing (searchd/request_head.cc): where a request ends,
// what is refused, and what httplib is given.
#include "request_head.h"

#include <string>

#include <catch2/catch.hpp>

using searchd::HeadLimits;
using searchd::HeadParser;
using searchd::RequestHead;

namespace {

RequestHead ParseAll(const std::string& in, const HeadLimits& limits = {}) {
  HeadParser p(limits);
  return p.Parse(in);
}

// Feeds `in` one byte at a time, as a slow client sends it.
RequestHead ParseByteByByte(const std::string& in, const HeadLimits& limits = {}) {
  HeadParser p(limits);
  std::string buf;
  RequestHead h;
  for (char c : in) {
    buf += c;
    h = p.Parse(buf);
    if (h.state != RequestHead::State::kIncomplete) break;
  }
  return h;
}

}  // namespace

TEST_CASE("A request head is framed where it ends, with its Content-Length", "[request_head]") {
  const std::string head = "GET /search?q=a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n";
  for (const RequestHead& h : {ParseAll(head + "hello" + "GET /next"), ParseByteByByte(head)}) {
    REQUIRE(h.state == RequestHead::State::kComplete);
    CHECK(h.head_bytes == head.size());
    CHECK(h.body_bytes == 5);
    CHECK(h.method == "GET");
    CHECK(h.target == "/search?q=a");
    CHECK(h.forward == head);
  }
  // Incomplete until the blank line.
  CHECK(ParseAll("GET / HTTP/1.1\r\nHost: x\r\n").state == RequestHead::State::kIncomplete);
  // A stray CRLF before the request line is skipped (and counted as input).
  const RequestHead stray = ParseAll("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(stray.state == RequestHead::State::kComplete);
  CHECK(stray.head_bytes == 2 + 16 + 9 + 2);
  CHECK(stray.forward == "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  // HTTP/1.0 may leave out Host.
  CHECK(ParseAll("GET / HTTP/1.0\r\n\r\n").state == RequestHead::State::kComplete);
}

TEST_CASE("Range, If-Range and Expect are not passed on", "[request_head]") {
  const RequestHead h = ParseAll(
      "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-,0-\r\nif-range: \"e\"\r\nExpect: 100-continue\r\n"
      "Accept: */*\r\n\r\n");
  REQUIRE(h.state == RequestHead::State::kComplete);
  CHECK(h.forward == "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  CHECK(h.expect_continue);
}

TEST_CASE("Heads past the limits are refused with 414 or 431, also while they arrive", "[request_head]") {
  HeadLimits l;
  l.max_request_line = 64;
  l.max_header_line = 40;
  l.max_header_bytes = 100;
  l.max_headers = 4;
  l.max_body = 10;
  const std::string ok = "GET / HTTP/1.1\r\nHost: x\r\n";
  struct Row {
    std::string input;
    int status;
  };
  const Row rows[] = {
      {"GET /" + std::string(80, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"GET /" + std::string(80, 'a'), 414},  // still arriving
      {ok + "X: " + std::string(60, 'v') + "\r\n\r\n", 431},
      {ok + "X: " + std::string(60, 'v'), 431},            // still arriving
      {ok + "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431},  // 5 fields
      {ok + "A: " + std::string(30, 'v') + "\r\nB: " + std::string(30, 'v') +
           "\r\nC: " + std::string(30, 'v') + "\r\n\r\n",
       431},  // 114 bytes of fields
      {ok + "Content-Length: 11\r\n\r\n", 413},
      {ok + "Content-Length: 99999999999999999999\r\n\r\n", 413},
  };
  for (const Row& r : rows) {
    INFO(r.input);
    const RequestHead a = ParseAll(r.input, l);
    CHECK(a.state == RequestHead::State::kError);
    CHECK(a.status == r.status);
    const RequestHead b = ParseByteByByte(r.input, l);
    CHECK(b.state == RequestHead::State::kError);
    CHECK(b.status == r.status);
  }
  CHECK(ParseAll(ok + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", l).state == RequestHead::State::kComplete);
  CHECK(ParseAll(ok + "Content-Length: 10\r\n\r\n", l).state == RequestHead::State::kComplete);
}

TEST_CASE("Ambiguous framing is refused with 400", "[request_head]") {
  const std::string rl = "GET / HTTP/1.1\r\n";
  const char* const bad[] = {
      "Host: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      "Host: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "Host: x\r\nContent-Length: 5, 5\r\n\r\n",
      "Host: x\r\nContent-Length: -1\r\n\r\n",
      "Host: x\r\nContent-Length: \r\n\r\n",
      "Host: x\r\nContent-Length : 5\r\n\r\n",  // space before the colon
      "Host: x\r\nX: a\r\n folded\r\n\r\n",     // obs-fold
      "Host: x\r\nContent-Length: 5\n\r\n",     // bare LF
      "Host: x\r\nX: a\rContent-Length: 5\r\n\r\n",
      "Host: x\r\n: empty name\r\n\r\n",
      "Host: x\r\nHost: y\r\n\r\n",
      "X: no host\r\n\r\n",
  };
  for (const char* b : bad) {
    const std::string in = rl + b;
    INFO(in);
    const RequestHead h = ParseAll(in);
    CHECK(h.state == RequestHead::State::kError);
    CHECK(h.status == 400);
  }
  // NUL inside a value.
  const std::string nul = rl + "Host: x\r\nX: a" + std::string(1, '\0') + "b\r\n\r\n";
  CHECK(ParseAll(nul).status == 400);
  for (const std::string line : {"GET  / HTTP/1.1\r\n", "GET / HTTP/2.0\r\n", "GET /\x1b[31m HTTP/1.1\r\n",
                                 "GET / HTTP/1.1\n", "G(T / HTTP/1.1\r\n", "GET / HTTP/1.1 x\r\n"}) {
    INFO(line);
    const RequestHead h = ParseAll(line + "Host: x\r\n\r\n");
    CHECK(h.state == RequestHead::State::kError);
    CHECK(h.status == 400);
  }
  // Identical Content-Length fields are one length.
  const RequestHead same = ParseAll(rl + "Host: x\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n");
  REQUIRE(same.state == RequestHead::State::kComplete);
  CHECK(same.body_bytes == 3);
}

TEST_CASE("After Reset the parser frames the next request", "[request_head]") {
  HeadParser p(HeadLimits{});
  const std::string a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string in = a + b;
  REQUIRE(p.Parse(in).state == RequestHead::State::kComplete);
  in.erase(0, p.Parse(in).head_bytes);
  p.Reset();
  const RequestHead& h = p.Parse(in);
  REQUIRE(h.state == RequestHead::State::kComplete);
  CHECK(h.target == "/b");
}

TEST_CASE("issue 28: a Content-Encoding other than identity is refused (415) before the body",
          "[request_head]") {
  for (const std::string enc : {"gzip", "br", "deflate", "GZIP", "identity, gzip", ""}) {
    const std::string in =
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Encoding: " + enc + "\r\nContent-Length: 10\r\n\r\n";
    for (const RequestHead& h : {ParseAll(in), ParseByteByByte(in)}) {
      INFO(enc);
      REQUIRE(h.state == RequestHead::State::kError);
      CHECK(h.status == 415);
      CHECK(h.code == "unsupported_media_type");
    }
  }
  const RequestHead h = ParseAll("GET / HTTP/1.1\r\nHost: a\r\nContent-Encoding: Identity\r\n\r\n");
  REQUIRE(h.state == RequestHead::State::kComplete);
  CHECK(h.forward.find("Content-Encoding") == std::string::npos);
}

TEST_CASE("issue 28: an empty Host is no Host", "[request_head]") {
  CHECK(ParseAll("GET / HTTP/1.1\r\nHost: \r\n\r\n").status == 400);
  const RequestHead h10 = ParseAll("GET / HTTP/1.0\r\nHost:\r\n\r\n");
  REQUIRE(h10.state == RequestHead::State::kComplete);
  CHECK(h10.forward == "GET / HTTP/1.0\r\n\r\n");
  CHECK(ParseAll("GET / HTTP/1.1\r\nHost:\r\nHost: a\r\n\r\n").status == 400);
}

TEST_CASE("issue 28: a ? after the target's first is forwarded as %3F; unknown methods are marked",
          "[request_head]") {
  const RequestHead h = ParseAll("GET /search?q=a?b?c HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(h.state == RequestHead::State::kComplete);
  CHECK(h.forward.rfind("GET /search?q=a%3Fb%3Fc HTTP/1.1\r\n", 0) == 0);
  CHECK(h.target == "/search?q=a?b?c");  // the access log shows what was sent
  CHECK_FALSE(h.unknown_method);
  const RequestHead foo = ParseAll("FOO /search?q=x HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(foo.state == RequestHead::State::kComplete);
  CHECK(foo.unknown_method);
  CHECK(foo.full_target == "/search?q=x");
  CHECK_FALSE(ParseAll("PATCH / HTTP/1.1\r\nHost: a\r\n\r\n").unknown_method);
}

TEST_CASE("issue 25: POST /related may carry up to max_post_body; every other request max_body",
          "[request_head][issue25]") {
  HeadLimits l;
  l.max_body = 10;
  l.max_post_body = 100;
  auto head = [](const std::string& line, size_t length) {
    return line + "\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n";
  };
  for (const char* line : {"POST /related HTTP/1.1", "POST /related?x=1 HTTP/1.1"}) {
    INFO(line);
    const RequestHead ok = ParseByteByByte(head(line, 100), l);
    REQUIRE(ok.state == RequestHead::State::kComplete);
    CHECK(ok.body_bytes == 100);
    const RequestHead big = ParseAll(head(line, 101), l);
    CHECK(big.state == RequestHead::State::kError);
    CHECK(big.status == 413);
    CHECK(big.message.find("100 bytes") != std::string::npos);
  }
  for (const char* line : {"GET /related HTTP/1.1", "POST /search HTTP/1.1", "POST /related/x HTTP/1.1",
                                 "PUT /related HTTP/1.1"}) {
    INFO(line);
    const RequestHead r = ParseAll(head(line, 11), l);
    CHECK(r.state == RequestHead::State::kError);
    CHECK(r.status == 413);
  }
  CHECK(searchd::IsBodyTarget("POST", "/related"));
  CHECK(!searchd::IsBodyTarget("POST", "/related2"));
  CHECK(!searchd::IsBodyTarget("GET", "/related"));
}
