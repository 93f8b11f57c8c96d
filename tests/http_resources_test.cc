// Issue 28: searchd when a resource runs out: compressed request bodies,
// connection floods, file descriptors, and the smaller request-line points.
// Each test runs a real searchd (port 0, loopback) and talks to it over raw
// sockets.
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>

#include "test_util.h"

#include "tongwen/index.h"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// A blocking TCP connection to 127.0.0.1:port (or ::1), from `source` (an
// address of the loopback network, such as 127.0.0.2) if given.
class Conn {
 public:
  Conn(int port, const char* source = nullptr, bool v6 = false) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool ok = true;
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(port));
      a.sin6_addr = in6addr_loopback;
      ok = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    } else {
      if (source) {
        sockaddr_in s{};
        s.sin_family = AF_INET;
        inet_pton(AF_INET, source, &s.sin_addr);
        ok = bind(fd_, reinterpret_cast<sockaddr*>(&s), sizeof s) == 0;
      }
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok = ok && connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    if (!ok) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  bool ok() const { return fd_ >= 0; }

  bool Send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // What has arrived, without waiting.
  std::string ReadNow() {
    char buf[4096];
    const ssize_t n = fd_ < 0 ? -1 : recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  // Everything until the server closes (or 10 s pass).
  std::string ReadAll() {
    std::string out;
    char buf[65536];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

int StatusOf(const std::string& raw) {
  return raw.rfind("HTTP/1.", 0) == 0 ? std::atoi(raw.c_str() + 9) : -1;
}

json BodyOf(const std::string& raw) {
  const size_t p = raw.find("\r\n\r\n");
  return p == std::string::npos ? json() : json::parse(raw.substr(p + 4), nullptr, false);
}

std::string HeaderOf(const std::string& raw, const std::string& name) {
  const size_t p = raw.find("\r\n" + name + ": ");
  if (p == std::string::npos || p > raw.find("\r\n\r\n")) return "";
  const size_t from = p + name.size() + 4;
  return raw.substr(from, raw.find("\r\n", from) - from);
}

// One request on its own connection, "Connection: close"; the raw response.
// `head` is the request line and header fields, without the blank line.
std::string Exchange(int port, const std::string& head, const std::string& body = "",
                     const char* source = nullptr) {
  Conn c(port, source);
  if (!c.ok()) return "";
  c.Send(head + "\r\nConnection: close\r\n\r\n" + body);
  return c.ReadAll();
}

std::string HostHeader(int port) { return "Host: 127.0.0.1:" + std::to_string(port); }

// The sample archive, indexed once without the dictionary.
const std::string& SampleDb() {
  static testutil::TempDir dir;
  static const std::string db = [] {
    tongwen::IngestOptions io;
    io.db_dir = dir / "db";
    io.threads = 2;
    tongwen::IngestReport rep;
    const tongwen::Status s =
        tongwen::Rebuild(io, {std::string(TONGWEN_SOURCE_DIR) + "/data/sample/articles.jsonl"}, &rep);
    if (!s.ok()) throw std::runtime_error("rebuild: " + s.ToString());
    return io.db_dir;
  }();
  return db;
}

std::unique_ptr<testutil::Searchd> Start(std::vector<std::string> args = {}, unsigned long nofile = 0,
                                         const std::string& db = SampleDb()) {
  args.insert(args.begin(), {"--no-dictionary", "--quiet"});
  auto sd = std::make_unique<testutil::Searchd>(db, args, nofile);
  if (!sd->ok()) FAIL("searchd did not start; see " << sd->log());
  return sd;
}

// searchd's resident memory, in KiB (VmRSS).
long RssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// `n` zero bytes, gzip-compressed (a decompression bomb: about 1000:1).
std::string GzipZeros(size_t n) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  std::string zeros(1 << 20, '\0'), out;
  std::vector<unsigned char> buf(1 << 16);
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min(zeros.size(), n - done);
    done += chunk;
    z.next_in = reinterpret_cast<Bytef*>(zeros.data());
    z.avail_in = static_cast<uInt>(chunk);
    const int flush = done == n ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      out.append(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("issue 28.1: a request body with a Content-Encoding is refused with 415, never decoded",
          "[http][resources]") {
  auto sd = Start();
  const int port = sd->port();
  const std::string bomb = GzipZeros(60u << 20);  // 60 MiB of zeros
  REQUIRE(bomb.size() < 64 * 1024);               // under the body cap: only decoding would make it large
  const std::string length = "Content-Length: " + std::to_string(bomb.size());
  // Warm up: the same requests without an encoding (404 for POST /x, 200 for
  // GET /search), so that the buffers every request needs exist already.
  for (int i = 0; i < 4; ++i) {
    CHECK(StatusOf(Exchange(port, "POST /x HTTP/1.1\r\n" + HostHeader(port) + "\r\n" + length, bomb)) == 404);
    CHECK(StatusOf(Exchange(port, "GET /search?q=typhoon HTTP/1.1\r\n" + HostHeader(port) + "\r\n" + length,
                            bomb)) == 200);
  }
  const long before = RssKiB(sd->pid());
  REQUIRE(before > 0);
  for (const std::string encoding : {"gzip", "br", "deflate", "x-gzip", "identity, gzip", "GZIP", ""})
    for (const std::string line :
         {"POST /x HTTP/1.1", "GET /search?q=typhoon HTTP/1.1", "PUT /search HTTP/1.1"}) {
      const std::string r = Exchange(
          port, line + "\r\n" + HostHeader(port) + "\r\nContent-Encoding: " + encoding + "\r\n" + length,
          bomb);
      INFO(line << " / " << encoding << " -> " << r);
      CHECK(StatusOf(r) == 415);
      CHECK(BodyOf(r)["error"]["code"] == "unsupported_media_type");
    }
  const long after = RssKiB(sd->pid());
  INFO("RSS " << before << " KiB -> " << after << " KiB");
  CHECK(after - before <= 1024);  // each decoded bomb would be 60 MiB
  // "identity" is no encoding: the body is read and discarded as before.
  CHECK(StatusOf(Exchange(port,
                          "GET /health HTTP/1.1\r\n" + HostHeader(port) +
                              "\r\nContent-Encoding: identity\r\nContent-Length: 3",
                          "abc")) == 200);
}

TEST_CASE("issue 28.8: a method httplib does not know is 405 on API paths, 404 elsewhere",
          "[http][resources]") {
  auto sd = Start();
  const int port = sd->port();
  for (const std::string target : {"/search?q=a", "/health", "/articles/x", "/articles/x/related", "/"}) {
    const std::string r = Exchange(port, "FOO " + target + " HTTP/1.1\r\n" + HostHeader(port));
    INFO(target << " -> " << r);
    CHECK(StatusOf(r) == 405);
    CHECK(HeaderOf(r, "Allow") == "GET, HEAD");
    CHECK(BodyOf(r)["error"]["code"] == "method_not_allowed");
  }
  const std::string r = Exchange(port, "FOO /nothing HTTP/1.1\r\n" + HostHeader(port));
  CHECK(StatusOf(r) == 404);
  CHECK(BodyOf(r)["error"]["code"] == "not_found");
  // Known methods still go through the router.
  CHECK(StatusOf(Exchange(port, "DELETE /search HTTP/1.1\r\n" + HostHeader(port))) == 405);
}

TEST_CASE("issue 28.8: an empty Host is no Host (HTTP/1.1: 400); a literal ? in q is accepted",
          "[http][resources]") {
  auto sd = Start();
  const int port = sd->port();
  CHECK(StatusOf(Exchange(port, "GET /health HTTP/1.1\r\nHost:")) == 400);
  CHECK(StatusOf(Exchange(port, "GET /health HTTP/1.1\r\nHost:   ")) == 400);
  CHECK(StatusOf(Exchange(port, "GET /health HTTP/1.1\r\nHost: evil.example")) == 421);
  // HTTP/1.0 may leave Host out; an empty one is the same.
  CHECK(StatusOf(Exchange(port, "GET /health HTTP/1.0\r\nHost:")) == 200);
  // Two Host fields, one empty, are still two.
  CHECK(StatusOf(Exchange(port, "GET /health HTTP/1.1\r\nHost:\r\n" + HostHeader(port))) == 400);

  const std::string r = Exchange(port, "GET /search?q=typhoon?gaemi HTTP/1.1\r\n" + HostHeader(port));
  INFO(r);
  REQUIRE(StatusOf(r) == 200);
  // The same query as %3F.
  const std::string same = Exchange(port, "GET /search?q=typhoon%3Fgaemi HTTP/1.1\r\n" + HostHeader(port));
  CHECK(BodyOf(r)["hits"] == BodyOf(same)["hits"]);
  CHECK(StatusOf(Exchange(port, "GET /search?q=a?b&limit=1?2 HTTP/1.1\r\n" + HostHeader(port))) == 400);
}

TEST_CASE("issue 28.8: --listen [::1]:PORT binds the IPv6 loopback", "[http][resources]") {
  {
    const int probe = socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const bool v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (probe >= 0) close(probe);
    if (!v6) {
      WARN("skipped: this machine has no IPv6 loopback");
      return;
    }
  }
  auto sd = Start({"--listen", "[::1]:0"});
  Conn c(sd->port(), nullptr, /*v6=*/true);
  REQUIRE(c.ok());
  c.Send("GET /health HTTP/1.1\r\nHost: [::1]:" + std::to_string(sd->port()) +
         "\r\nConnection: close\r\n\r\n");
  CHECK(StatusOf(c.ReadAll()) == 200);
}

TEST_CASE("issue 28.2: one address flooding connections does not lock out another", "[http][resources]") {
  // A small table: under an open-file limit of 256 searchd keeps about 160
  // connections (descriptors.h); each address may hold 8.
  auto sd = Start({"--threads", "4", "--max-connections-per-client", "8"}, 256);
  const int port = sd->port();
  // The flood, from 127.0.0.1: it holds its 8 connections, and opens 40
  // more every 20 ms, each kept open for 2 s (a refused connection used to
  // hold its slot for 2 s, so about 1.4 s of this filled the table).
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::thread flood([&] {
    std::vector<std::unique_ptr<Conn>> held;
    for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<Conn>(port));
    std::vector<std::pair<Clock::time_point, std::unique_ptr<Conn>>> recent;
    while (!stop.load()) {
      for (int i = 0; i < 40; ++i) recent.emplace_back(Clock::now(), std::make_unique<Conn>(port));
      while (!recent.empty() && Clock::now() - recent.front().first > std::chrono::seconds(2)) {
        if (StatusOf(recent.front().second->ReadNow()) == 503) ++refused;
        recent.erase(recent.begin());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  // Meanwhile 127.0.0.2 asks for /health, one request at a time, 60 times
  // (about 3 s): every one is answered.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int answered = 0, failed = 0;
  std::string last_failure;
  for (int i = 0; i < 60; ++i) {
    const std::string r = Exchange(port, "GET /health HTTP/1.1\r\n" + HostHeader(port), "", "127.0.0.2");
    if (StatusOf(r) == 200) {
      ++answered;
    } else {
      ++failed;
      last_failure = r.empty() ? "(closed without an answer)" : r.substr(0, 200);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  flood.join();
  INFO("last failure: " << last_failure);
  CHECK(answered == 60);
  CHECK(failed == 0);
  // The flooding address itself was over its cap: 503 too_many_connections.
  CHECK(refused.load() > 0);
}

TEST_CASE("issue 28.3: under a low open-file limit and load, no 200 has an unreadable hit; results recover",
          "[http][resources]") {
  // Under `ulimit -n 64` searchd runs 2 workers and keeps 16 connections
  // (descriptors.h); 24 clients ask at once, more than it keeps.
  auto sd = Start({"--threads", "16"}, 64);
  const int port = sd->port();
  const std::vector<std::string> targets = {"/search?q=typhoon&limit=10",
                                            "/search?q=%E5%9C%8B%E9%98%B2&limit=10",
                                            "/articles/cna-2024-0723-gaemi-land-warning/related?limit=5"};
  auto ids = [](const json& body) {
    std::vector<std::string> out;
    for (const json& h : body["hits"]) out.push_back(h.value("id", ""));
    return out;
  };
  std::vector<std::vector<std::string>> baseline;
  for (const std::string& t : targets) {
    const std::string r = Exchange(port, "GET " + t + " HTTP/1.1\r\n" + HostHeader(port));
    REQUIRE(StatusOf(r) == 200);
    baseline.push_back(ids(BodyOf(r)));
    REQUIRE_FALSE(baseline.back().empty());
  }
  std::atomic<int> ok{0}, refused{0}, dropped{0}, wrong{0};
  std::mutex mu;
  std::string first_wrong;
  std::vector<std::thread> clients;
  for (int c = 0; c < 24; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        const size_t k = static_cast<size_t>(c + i) % targets.size();
        const std::string r = Exchange(port, "GET " + targets[k] + " HTTP/1.1\r\n" + HostHeader(port));
        const int status = StatusOf(r);
        if (status == 200 && ids(BodyOf(r)) == baseline[k]) {
          ++ok;
        } else if (status == 503) {
          ++refused;
        } else if (r.empty()) {
          ++dropped;  // over the connection cap: closed at once
        } else {
          ++wrong;
          std::lock_guard<std::mutex> lk(mu);
          if (first_wrong.empty()) first_wrong = r.substr(0, 600);
        }
      }
    });
  for (auto& t : clients) t.join();
  INFO("200 " << ok << ", 503 " << refused << ", closed " << dropped
              << "; first wrong answer: " << first_wrong);
  CHECK(wrong == 0);  // no 500, no 200 with an empty or other hit
  CHECK(ok > 0);
  // Once the load stops, every answer is the one from before.
  for (size_t k = 0; k < targets.size(); ++k) {
    const std::string r = Exchange(port, "GET " + targets[k] + " HTTP/1.1\r\n" + HostHeader(port));
    CHECK(StatusOf(r) == 200);
    CHECK(ids(BodyOf(r)) == baseline[k]);
  }
  CHECK(StatusOf(Exchange(port, "GET /health HTTP/1.1\r\n" + HostHeader(port))) == 200);
}

TEST_CASE("issue 28.4: without its stub every route answers the generic 503; no response names a path",
          "[http][resources]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  std::filesystem::copy(SampleDb(), db, std::filesystem::copy_options::recursive);
  auto sd = Start({}, 0, db);
  const int port = sd->port();
  REQUIRE(StatusOf(Exchange(port, "GET /stats HTTP/1.1\r\n" + HostHeader(port))) == 200);
  std::filesystem::rename(db + "/XAPIANDB", dir / "XAPIANDB.away");
  // Each worker looks at the stub again within its reopen interval.
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until &&
         StatusOf(Exchange(port, "GET /search?q=typhoon HTTP/1.1\r\n" + HostHeader(port))) == 200)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const std::string target :
       {"/stats", "/health", "/search?q=typhoon", "/articles/cna-2024-0723-gaemi-land-warning",
        "/articles/cna-2024-0723-gaemi-land-warning/related"}) {
    const std::string r = Exchange(port, "GET " + target + " HTTP/1.1\r\n" + HostHeader(port));
    INFO(target << " -> " << r);
    CHECK(StatusOf(r) == 503);
    CHECK(BodyOf(r)["error"]["code"] == "unavailable");
    CHECK(r.find(dir.path()) == std::string::npos);
    CHECK(r.find("XAPIANDB") == std::string::npos);
  }
  const std::string metrics = Exchange(port, "GET /metrics HTTP/1.1\r\n" + HostHeader(port));
  CHECK(metrics.find(dir.path()) == std::string::npos);
  // The detail is in the log.
  CHECK(testutil::ReadFile(sd->log()).find(db) != std::string::npos);
}

TEST_CASE(
    "issue 28.3: under an open-file limit too low for one worker and its connections, searchd will not start",
    "[http][resources]") {
  testutil::Searchd sd(SampleDb(), {"--no-dictionary", "--quiet"}, 30);
  CHECK_FALSE(sd.ok());
  CHECK(testutil::ReadFile(sd.log()).find("searchd: the open-file limit (30) is too low") !=
        std::string::npos);
}
