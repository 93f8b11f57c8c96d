// Issue 15: searchd under hostile clients. Each test talks to a real searchd
// (port 0, loopback) over raw sockets, as a client that does not follow the
// rules would, and checks what the issue asks for.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <poll.h>

#include "test_util.h"

#include "tongwen/index.h"

using nlohmann::json;
using testutil::Reply;
using Clock = std::chrono::steady_clock;

namespace {

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A blocking TCP connection to searchd on loopback.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  bool ok() const { return fd_ >= 0; }

  // False if the server closed the connection first.
  bool Send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Whatever arrives until the server closes or `seconds` pass.
  std::string ReadUntilClose(double seconds) {
    std::string out;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
      const double left = std::chrono::duration<double>(end - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) break;
      char buf[65536];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // One response (head and Content-Length body), within `seconds`.
  std::string ReadResponse(double seconds) {
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    std::string out;
    for (;;) {
      const size_t head_end = out.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t cl = out.find("Content-Length: ");
        const size_t len = cl < head_end ? std::stoul(out.substr(cl + 16)) : 0;
        if (out.size() >= head_end + 4 + len) return out;
      }
      const double left = std::chrono::duration<double>(end - Clock::now()).count();
      if (left <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) return out;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }

  bool Readable() const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
  }

 private:
  int fd_ = -1;
};

// The status codes of the responses in `raw`, in order.
std::vector<int> Statuses(const std::string& raw) {
  std::vector<int> out;
  for (size_t p = raw.find("HTTP/1.1 "); p != std::string::npos; p = raw.find("HTTP/1.1 ", p + 1))
    if (p == 0 || (p >= 2 && raw.compare(p - 2, 2, "\r\n") == 0) || raw[p - 1] == '}')
      out.push_back(std::atoi(raw.c_str() + p + 9));
  return out;
}

int Status(const std::string& raw) { return raw.rfind("HTTP/1.", 0) == 0 ? std::atoi(raw.c_str() + 9) : -1; }

std::string Header(const std::string& raw, const std::string& name) {
  const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
  std::string lower_head = head, key = "\r\n" + name + ":";
  for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t p = lower_head.find(key);
  if (p == std::string::npos) return "";
  size_t from = p + key.size();
  while (from < head.size() && head[from] == ' ') ++from;
  return head.substr(from, head.find("\r\n", from) - from);
}

json Body(const std::string& raw) {
  const size_t p = raw.find("\r\n\r\n");
  return p == std::string::npos ? json() : json::parse(raw.substr(p + 4), nullptr, false);
}

// One request on its own connection (Host and "Connection: close" added);
// the raw response.
std::string Exchange(int port, const std::string& request_line, const std::string& headers = "",
                     const std::string& body = "") {
  RawConn c(port);
  c.Send(request_line + "\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n" + headers +
         "Connection: close\r\n\r\n" + body);
  return c.ReadUntilClose(10);
}

Reply Get(const testutil::Searchd& sd, const std::string& target) {
  std::string body;
  const int status = sd.Get(target, &body);
  return testutil::MakeReply(status, std::move(body));
}

std::string SamplePath() { return std::string(TONGWEN_SOURCE_DIR) + "/data/sample/articles.jsonl"; }

// The sample archive plus articles whose ids contain '/', indexed once
// without the dictionary; each test starts its own searchd on it.
struct Archive {
  testutil::TempDir dir;
  std::string db = dir / "db";
  Archive() {
    std::string extra;
    for (const std::string id : {"wire/2024/001", "wire/related", "a%2Fb"})
      extra += json{{"id", id},
                    {"source", "Test Wire"},
                    {"published", "2024-06-01"},
                    {"title", {{"en", "Harbour notice " + id}}},
                    {"body", {{"en", "The ferry leaves at dawn."}}}}
                   .dump() +
               "\n";
    testutil::WriteFile(dir / "extra.jsonl", extra);
    tongwen::IngestOptions io;
    io.db_dir = db;
    io.threads = 2;
    tongwen::IngestReport rep;
    tongwen::Status s = tongwen::Rebuild(io, {SamplePath(), dir / "extra.jsonl"}, &rep);
    if (!s.ok()) throw std::runtime_error("rebuild: " + s.ToString());
  }
};

const std::string& ArchiveDb() {
  static Archive a;
  return a.db;
}

std::unique_ptr<testutil::Searchd> Start(std::vector<std::string> args = {}) {
  args.insert(args.begin(), {"--no-dictionary", "--quiet"});
  auto sd = std::make_unique<testutil::Searchd>(ArchiveDb(), args);
  if (!sd->ok()) FAIL("searchd did not start with those arguments; see " << sd->log());
  return sd;
}

}  // namespace

TEST_CASE("issue 15.1: request heads are bounded: 431 for too many or too large headers, 414 for the line",
          "[http][hostile]") {
  auto sd = Start();
  const int port = sd->port();
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "X-" + std::to_string(i) + ": y\r\n";  // 2.4 MB
  std::string r = Exchange(port, "GET /health HTTP/1.1", many);
  CHECK(Status(r) == 431);
  CHECK(Body(r)["error"]["code"] == "too_many_headers");

  std::string hundred_one;
  for (int i = 0; i < 101; ++i) hundred_one += "X-" + std::to_string(i) + ": y\r\n";
  CHECK(Status(Exchange(port, "GET /health HTTP/1.1", hundred_one)) == 431);
  std::string large;  // 20 fields of 7 KB: each under the line limit, 140 KB together
  for (int i = 0; i < 20; ++i) large += "X-Big-" + std::to_string(i) + ": " + std::string(7000, 'v') + "\r\n";
  r = Exchange(port, "GET /health HTTP/1.1", large);
  CHECK(Status(r) == 431);
  CHECK(Body(r)["error"]["code"] == "headers_too_large");
  CHECK(Status(Exchange(port, "GET /health HTTP/1.1", "X-One: " + std::string(9000, 'v') + "\r\n")) == 431);
  CHECK(Status(Exchange(port, "GET /search?q=" + std::string(9000, 'a') + " HTTP/1.1")) == 414);

  // Under the limits: 90 fields, 15 KB in all.
  std::string fine;
  for (int i = 0; i < 90; ++i) fine += "X-" + std::to_string(i) + ": " + std::string(150, 'v') + "\r\n";
  CHECK(Status(Exchange(port, "GET /health HTTP/1.1", fine)) == 200);
  CHECK(Get(*sd, "/health").status == 200);
}

TEST_CASE("issue 15.2: slow and idle clients do not hold the workers; /health and searches stay fast",
          "[http][hostile][slow]") {
  auto sd = Start();  // 4 worker threads (testutil::Searchd)
  const int port = sd->port();
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  for (int i = 0; i < 20; ++i)
    slow.emplace_back([port, &stop] {
      RawConn c(port);
      const std::string req = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'z');
      for (char ch : req) {
        if (stop || !c.Send(std::string(1, ch))) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  std::vector<std::unique_ptr<RawConn>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<RawConn>(port));  // connected, silent
  for (int i = 0; i < 10; ++i) {  // kept alive after one request
    auto c = std::make_unique<RawConn>(port);
    c->Send("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
    CHECK(Status(c->ReadResponse(10)) == 200);
    idle.push_back(std::move(c));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < 10; ++i) {
    const std::string target = i % 2 ? "/health" : "/search?q=taiwan";
    const auto t0 = Clock::now();
    const Reply r = Get(*sd, target);
    const double took = SecondsSince(t0);
    INFO(target << " took " << took << " s");
    CHECK(r.status == 200);
    CHECK(took < 1.0);
    if (took >= 1.0) break;
  }
  stop = true;
  for (auto& t : slow) t.join();
}

TEST_CASE("issue 15.2: a request must arrive within --request-timeout; idle connections are closed",
          "[http][hostile][slow]") {
  auto sd = Start({"--request-timeout", "1000", "--idle-timeout", "1000"});
  const int port = sd->port();
  RawConn trickle(port), idle(port);
  const auto t0 = Clock::now();
  trickle.Send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  // One byte every 100 ms: the read timeout of old never expired.
  while (!trickle.Readable() && SecondsSince(t0) < 5) {
    if (!trickle.Send("z")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string r = trickle.ReadUntilClose(2);
  const double took = SecondsSince(t0);
  INFO(r);
  CHECK(Status(r) == 408);
  CHECK(Body(r)["error"]["code"] == "request_timeout");
  CHECK(took >= 0.9);
  CHECK(took < 3.5);
  CHECK(idle.ReadUntilClose(3).empty());  // closed without a word
  CHECK(SecondsSince(t0) < 4);
}

TEST_CASE("issue 15.2: connections per client address are capped (503 past the cap)", "[http][hostile]") {
  auto sd = Start({"--max-connections-per-client", "3"});
  const int port = sd->port();
  std::vector<std::unique_ptr<RawConn>> open;
  for (int i = 0; i < 3; ++i) open.push_back(std::make_unique<RawConn>(port));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawConn fourth(port);
  const std::string r = fourth.ReadUntilClose(3);
  INFO(r);
  CHECK(Status(r) == 503);
  CHECK(Body(r)["error"]["code"] == "too_many_connections");
  open.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server sees it close
  CHECK(Get(*sd, "/health").status == 200);
}

TEST_CASE("issue 15.4: Range is ignored on API responses", "[http][hostile]") {
  auto sd = Start();
  const int port = sd->port();
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 2700; ++i) ranges += ",0-";
  const std::string plain = Exchange(port, "GET /search?q=taiwan HTTP/1.1");
  for (const std::string& range : {ranges, std::string("bytes=0-10")}) {
    const std::string r = Exchange(port, "GET /search?q=taiwan HTTP/1.1", "Range: " + range + "\r\n");
    CHECK(Status(r) == 200);
    CHECK(Header(r, "Content-Type").rfind("application/json", 0) == 0);
    CHECK(r.size() < 100000);
    CHECK(Body(r)["hits"] == Body(plain)["hits"]);
    CHECK(Header(r, "Accept-Ranges") == "none");
  }
}

TEST_CASE("issue 15.5: a GET body is read and discarded, never run as a request", "[http][hostile]") {
  auto sd = Start();
  const int port = sd->port();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  const std::string smuggled = "GET /stats HTTP/1.1\r\n" + host + "\r\n";
  RawConn c(port);
  c.Send("GET /health HTTP/1.1\r\n" + host + "Content-Length: " + std::to_string(smuggled.size()) +
         "\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  c.Send(smuggled);  // the body, in a later segment
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  c.Send("GET /health HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
  const std::string r = c.ReadUntilClose(10);
  INFO(r);
  CHECK(Statuses(r) == std::vector<int>{200, 200});
  CHECK(r.find("\"generation\"") == std::string::npos);  // /stats did not run

  // Bodies searchd will not read: chunked, too long.
  CHECK(Status(Exchange(port, "GET /health HTTP/1.1", "Transfer-Encoding: chunked\r\n")) == 400);
  CHECK(Status(Exchange(port, "GET /health HTTP/1.1", "Content-Length: 100000\r\n")) == 413);
  CHECK(Status(Exchange(port, "GET /health HTTP/1.1", "Content-Length: 3\r\nContent-Length: 4\r\n")) == 400);
}

TEST_CASE("issue 15.5: pipelined requests are answered in order, at once", "[http][hostile]") {
  auto sd = Start();
  const int port = sd->port();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  RawConn c(port);
  const auto t0 = Clock::now();
  c.Send("GET /health HTTP/1.1\r\n" + host + "\r\nGET /stats HTTP/1.1\r\n" + host +
         "\r\nHEAD /health HTTP/1.1\r\n" + host + "\r\nGET /articles/no-such HTTP/1.1\r\n" + host +
         "Connection: close\r\n\r\n");
  const std::string r = c.ReadUntilClose(10);
  INFO(r);
  CHECK(Statuses(r) == std::vector<int>{200, 200, 200, 404});
  CHECK(r.find("\"generation\"") != std::string::npos);
  CHECK(SecondsSince(t0) < 2);  // not after a keep-alive timeout
}

TEST_CASE("issue 15.7: wrong methods on known paths get 405 with Allow", "[http][hostile]") {
  auto sd = Start();
  const int port = sd->port();
  for (const std::string line :
       {"POST /search?q=a HTTP/1.1", "DELETE /health HTTP/1.1", "PUT /stats HTTP/1.1",
        "OPTIONS /articles/wire%2F2024%2F001 HTTP/1.1", "PATCH / HTTP/1.1"}) {
    INFO(line);
    const std::string r = Exchange(port, line, "Content-Length: 4\r\n", "abcd");
    CHECK(Status(r) == 405);
    CHECK(Header(r, "Allow") == "GET, HEAD");
    CHECK(Body(r)["error"]["code"] == "method_not_allowed");
  }
  CHECK(Status(Exchange(port, "POST /nope HTTP/1.1")) == 404);
}

TEST_CASE("issue 15.7: control characters in a request are escaped in the access log", "[http][hostile]") {
  testutil::Searchd sd(ArchiveDb(), {"--no-dictionary"});
  REQUIRE(sd.ok());
  Exchange(sd.port(), "GET /nope\x1b[31mRED\x07 HTTP/1.1");
  Exchange(sd.port(), "GET /caf\xC3\xA9\x9b HTTP/1.1");
  std::string log;
  for (int i = 0; i < 40; ++i) {  // a request is logged just after its response is sent
    log = testutil::ReadFile(sd.log());
    if (log.find("caf") != std::string::npos && log.find("nope") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(log);
  CHECK(log.find("/nope\\x1B[31mRED\\x07") != std::string::npos);
  CHECK(log.find("/caf\\xC3\\xA9\\x9B") != std::string::npos);
  CHECK(log.find('\x1b') == std::string::npos);
  CHECK(log.find('\x07') == std::string::npos);
  CHECK(log.find('\x9b') == std::string::npos);
}

TEST_CASE("issue 15.7: ids containing '/' are reachable percent-encoded", "[http][hostile]") {
  auto sd = Start();
  Reply r = Get(*sd, "/articles/wire%2F2024%2F001");
  REQUIRE(r.status == 200);
  CHECK(r.j["id"] == "wire/2024/001");
  r = Get(*sd, "/articles/wire%2Frelated");  // the id "wire/related", not wire's related list
  REQUIRE(r.status == 200);
  CHECK(r.j["id"] == "wire/related");
  r = Get(*sd, "/articles/a%252Fb");  // the id "a%2Fb"
  REQUIRE(r.status == 200);
  CHECK(r.j["id"] == "a%2Fb");
  r = Get(*sd, "/articles/wire%2F2024%2F001/related?limit=3");
  CHECK(r.status == 200);
  CHECK(r.j["hits"].is_array());
  CHECK(Get(*sd, "/articles/wire/2024/001").status == 404);  // a raw '/' is a path separator
  CHECK(Get(*sd, "/articles/wire%2F2024%2F001/more").status == 404);
}

TEST_CASE("issue 15.7: the reader page has security headers and a CSP that admits its own script",
          "[http][hostile]") {
  auto sd = Start();
  const std::string r = Exchange(sd->port(), "GET / HTTP/1.1");
  REQUIRE(Status(r) == 200);
  CHECK(Header(r, "X-Content-Type-Options") == "nosniff");
  CHECK(Header(r, "Referrer-Policy") == "no-referrer");
  const std::string csp = Header(r, "Content-Security-Policy");
  INFO(csp);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  // The inline script and style are allowed by their hashes.
  const std::string body = r.substr(r.find("\r\n\r\n") + 4);
  for (const auto& [open, close] : {std::pair<std::string, std::string>{"<script>", "</script>"},
                                    std::pair<std::string, std::string>{"<style>", "</style>"}}) {
    const size_t from = body.find(open) + open.size();
    const std::string text = body.substr(from, body.find(close, from) - from);
    unsigned char digest[EVP_MAX_MD_SIZE], b64[2 * EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
    const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
    const std::string source =
        "'sha256-" + std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n)) + "'";
    INFO(open << " " << source);
    CHECK(csp.find(source) != std::string::npos);
  }
  CHECK(Header(Exchange(sd->port(), "GET /health HTTP/1.1"), "X-Content-Type-Options") == "nosniff");
}

TEST_CASE("issue 15.7: on loopback, a Host that does not name the server is refused (DNS rebinding)",
          "[http][hostile]") {
  auto sd = Start();
  const int port = sd->port();
  const std::string p = std::to_string(port);
  for (const std::string& host :
       {"evil.example:" + p, std::string("evil.example"), "127.0.0.1.evil.example:" + p,
        "localhost:" + std::to_string(port + 1), "10.0.0.1:" + p}) {
    INFO(host);
    RawConn c(port);
    c.Send("GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    const std::string r = c.ReadUntilClose(10);
    CHECK(Status(r) == 421);
    CHECK(Body(r)["error"]["code"] == "misdirected_request");
  }
  for (const std::string& host :
       {"localhost:" + p, "LOCALHOST:" + p, "127.0.0.1:" + p, "[::1]:" + p, std::string("localhost")}) {
    INFO(host);
    RawConn c(port);
    c.Send("GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    CHECK(Status(c.ReadUntilClose(10)) == 200);
  }
  RawConn old(port);  // HTTP/1.0 may leave Host out
  old.Send("GET /health HTTP/1.0\r\n\r\n");
  CHECK(Status(old.ReadUntilClose(10)) == 200);
}

TEST_CASE("issue 15.7: the listen backlog holds more than 5 pending connections", "[http][hostile]") {
  auto sd = Start();
  // Stop searchd so that it accepts nothing: connections wait in the backlog,
  // and past it the kernel drops their SYNs.
  REQUIRE(kill(sd->pid(), SIGSTOP) == 0);
  struct Resume {
    int pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume{sd->pid()};
  std::vector<int> fds;
  for (int i = 0; i < 30; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(sd->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int established = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, 0) > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
      ++established;
  }
  for (int fd : fds) close(fd);
  CHECK(established == 30);
}

TEST_CASE("issue 15.7: server errors name no paths and no Xapian classes", "[http][hostile]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  testutil::WriteFile(dir / "a.jsonl",
                      R"({"id":"e-1","published":"2024-06-01","title":{"en":"Lighthouse restored"}})"
                      "\n");
  tongwen::IngestOptions io;
  io.db_dir = db;
  tongwen::IngestReport rep;
  REQUIRE(tongwen::Rebuild(io, {dir / "a.jsonl"}, &rep).ok());
  testutil::Searchd sd(db, {"--no-dictionary", "--quiet"});
  REQUIRE(sd.ok());
  // The live generation disappears under searchd, before its workers open
  // it (each opens the database on its first request). (A worker that has
  // it open goes on reading its open files, and answers from them.)
  for (const auto& e : std::filesystem::directory_iterator(db))
    if (e.path().filename().string().rfind("gen-", 0) == 0) std::filesystem::remove_all(e.path());
  for (const std::string target : {"/search?q=lighthouse", "/stats", "/health"}) {
    const Reply r = Get(sd, target);
    INFO(target << " -> " << r.status << " " << r.body);
    CHECK(r.status >= 500);
    const json e = testutil::CheckErrorEnvelope(r, r.status);
    const std::string message = e.value("message", "");
    CHECK(message.find(dir.path()) == std::string::npos);
    CHECK(message.find("gen-") == std::string::npos);
    CHECK(message.find("Xapian") == std::string::npos);
    CHECK(message.find("Error") == std::string::npos);
    CHECK_FALSE(e.contains("parameter"));
  }
  // The detail is in the server's log.
  CHECK(testutil::ReadFile(sd.log()).find("gen-") != std::string::npos);
}
