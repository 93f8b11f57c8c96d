#include "connections.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace searchd {
namespace {

using Clock = std::chrono::steady_clock;

void Address(const sockaddr_storage& a, std::string* ip, int* port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    *port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    *port = ntohs(v6->sin6_port);
  }
  *ip = buf;
}

constexpr size_t kMaxPendingOutput = 1 << 20;  // stop answering pipelined requests past this
constexpr size_t kMaxLingerBytes = 1 << 20;
// Connections accepted per wake of the poller, so that a flood of connects
// does not keep it from reading the connections it has.
constexpr int kMaxAcceptsPerWake = 256;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);

}  // namespace

struct GuardedServer::Impl {
  enum class State { kReading, kBusy, kWriting, kLingering };

  struct Conn {
    explicit Conn(const HeadLimits& l) : parser(l) {}
    int fd = -1;
    std::string ip, local_ip;
    int port = 0, local_port = 0;
    State state = State::kReading;
    std::string in;   // received and not yet answered
    std::string out;  // responses not yet sent
    size_t out_sent = 0;
    HeadParser parser;
    Clock::time_point deadline;
    Clock::time_point request_start;
    bool in_request = false;   // some bytes of the next request have arrived
    bool close_after = false;  // close (after lingering) once `out` is sent
    bool broken = false;       // a send failed
    bool sent_continue = false;
    bool counted = false;  // counts toward its address's cap
    size_t requests = 0;
    size_t lingered = 0;
    uint32_t events = 0;  // registered with epoll for these (0: not registered)
  };

  Impl(GuardedServer* s, const ConnectionLimits& l)
      : server(s),
        limits(l),
        ep(epoll_create1(EPOLL_CLOEXEC)),
        wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Impl() {
    if (wake >= 0) ::close(wake);
    if (ep >= 0) ::close(ep);
  }

  GuardedServer* server;
  ConnectionLimits limits;
  std::function<void(const Refusal&)> refusal_logger;
  std::function<std::string(const std::string&, const std::string&)> error_body;
  std::function<bool(const std::string&)> is_api_target;

  std::atomic<bool> stopping{false};
  int ep = -1, wake = -1;  // created with the server, so that Stop() may run from a signal at any time
  int listener = -1;
  bool listener_paused = false;
  Clock::time_point listener_resume;
  char listener_tag = 0, wake_tag = 0;  // their addresses tag epoll events

  // Owned by the poller thread.
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::unordered_map<std::string, size_t> per_client;

  // Connections with a whole request, for the workers. A request goes to
  // the worker that became idle last (a stack, not a condition variable's
  // queue of waiters): the engine keeps a database handle and translation
  // memo per thread (core/src/search/engine.cc), and on a lightly loaded
  // server a few warm workers serve every request, where handing each
  // request to the next of 16 workers made searches about a third slower
  // (bench/queries, mono and mix, single connection).
  struct Worker {
    std::condition_variable cv;
    Conn* job = nullptr;  // set by Dispatch, under work_mu
    std::thread thread;
  };
  std::mutex work_mu;
  std::vector<Worker*> idle;  // most recently idle last
  std::deque<Conn*> work;     // requests waiting for a worker
  bool workers_stop = false;
  std::vector<std::unique_ptr<Worker>> workers;

  // Connections the workers are done with, back to the poller.
  std::mutex back_mu;
  std::vector<Conn*> back;

  // --- the poller thread ---

  void Watch(Conn& c, uint32_t events) {
    if (c.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &c;
    if (events == 0)
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    else
      epoll_ctl(ep, c.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
  }

  void Close(Conn& c) {
    Watch(c, 0);
    ::close(c.fd);
    if (c.counted) {
      auto it = per_client.find(c.ip);
      if (it != per_client.end() && --it->second == 0) per_client.erase(it);
    }
    conns.erase(c.fd);  // destroys c
  }

  double Seconds(const Conn& c) const {
    return c.in_request ? std::chrono::duration<double>(Clock::now() - c.request_start).count() : 0.0;
  }

  // Queues an error response and closes the connection after it.
  void Refuse(Conn& c, int status, const std::string& code, const std::string& message,
              const std::string& method = {}, const std::string& target = {},
              const std::string& extra_headers = {}) {
    c.out += ErrorResponse(status, error_body ? error_body(code, message) : std::string(), extra_headers);
    c.close_after = true;
    if (refusal_logger) refusal_logger(Refusal{c.ip, method, target, status, Seconds(c)});
  }

  // Sends what it can without blocking; false if the connection is broken.
  static bool Send(Conn& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t n =
          ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;
      } else {
        return false;
      }
    }
    c.out.clear();
    c.out_sent = 0;
    return true;
  }

  bool RequestReady(Conn& c) {
    const RequestHead& h = c.parser.Parse(c.in);
    return h.state == RequestHead::State::kComplete && c.in.size() >= h.head_bytes + h.body_bytes;
  }

  void Dispatch(Conn& c) {
    Watch(c, 0);
    c.state = State::kBusy;
    Worker* w = nullptr;
    {
      std::lock_guard<std::mutex> lk(work_mu);
      if (idle.empty()) {
        work.push_back(&c);
      } else {
        w = idle.back();
        idle.pop_back();
        w->job = &c;
      }
    }
    if (w) w->cv.notify_one();
  }

  // Decides what a connection that is not busy does next.
  void Continue(Conn& c) {
    if (c.broken) return Close(c);
    if (!c.out.empty()) {
      if (c.state != State::kWriting) c.deadline = Clock::now() + limits.write_timeout;
      c.state = State::kWriting;
      return Watch(c, EPOLLOUT);
    }
    if (c.close_after) {
      ::shutdown(c.fd, SHUT_WR);
      std::string().swap(c.in);
      c.state = State::kLingering;
      c.deadline = Clock::now() + limits.linger;
      return Watch(c, EPOLLIN);
    }
    if (!c.in.empty()) {
      const RequestHead& h = c.parser.Parse(c.in);
      if (h.state == RequestHead::State::kError) {
        Refuse(c, h.status, h.code, h.message, h.method, h.target);
        if (!Send(c)) c.broken = true;
        return Continue(c);
      }
      if (RequestReady(c)) return Dispatch(c);
    }
    c.state = State::kReading;
    c.deadline = c.in_request ? c.request_start + limits.request_timeout : Clock::now() + limits.idle_timeout;
    Watch(c, EPOLLIN);
  }

  void OnReadable(Conn& c) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) return Close(c);  // closed (an unfinished request has no answer) or reset
      if (c.state == State::kLingering) {
        c.lingered += static_cast<size_t>(n);
        if (c.lingered > kMaxLingerBytes) return Close(c);
        continue;
      }
      if (!c.in_request) {
        c.in_request = true;
        c.request_start = Clock::now();
        c.deadline = c.request_start + limits.request_timeout;
      }
      c.in.append(buf, static_cast<size_t>(n));
      const RequestHead& h = c.parser.Parse(c.in);
      if (h.state == RequestHead::State::kError) {
        Refuse(c, h.status, h.code, h.message, h.method, h.target);
        if (!Send(c)) c.broken = true;
        return Continue(c);
      }
      if (h.state == RequestHead::State::kComplete) {
        if (c.in.size() >= h.head_bytes + h.body_bytes) return Dispatch(c);
        if (h.expect_continue && !c.sent_continue) {
          c.sent_continue = true;
          static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          if (::send(c.fd, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
              errno != EAGAIN && errno != EWOULDBLOCK)
            return Close(c);
        }
      }
    }
  }

  void OnWritable(Conn& c) {
    if (!Send(c)) return Close(c);
    if (c.out.empty()) Continue(c);
  }

  // Issue 28: a connection over its address's cap is answered and closed at
  // once, so that it never holds a slot (refusals that lingered for 2 s let
  // one address fill the whole table). What it has sent so far is read
  // first: closing a socket with unread input resets it, before the client
  // could read the answer.
  void RefuseAtOnce(int fd, const std::string& ip) {
    char buf[4096];
    for (int i = 0; i < 16 && ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0; ++i) {
    }
    const std::string message = "too many connections from this address (at most " +
                                std::to_string(limits.max_connections_per_client) + ")";
    const std::string r =
        ErrorResponse(503, error_body ? error_body("too_many_connections", message) : std::string());
    [[maybe_unused]] ssize_t n = ::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
    if (refusal_logger) refusal_logger(Refusal{ip, "", "", 503, 0});
  }

  void Accept() {
    for (int accepted = 0; accepted < kMaxAcceptsPerWake; ++accepted) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd =
          ::accept4(listener, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop accepting for a moment rather than spin.
          epoll_ctl(ep, EPOLL_CTL_DEL, listener, nullptr);
          listener_paused = true;
          listener_resume = Clock::now() + std::chrono::milliseconds(100);
        }
        return;
      }
      if (conns.size() >= limits.max_connections) {
        ::close(fd);
        if (refusal_logger) refusal_logger(Refusal{"", "", "", 503, 0});
        continue;
      }
      std::string ip;
      int port = 0;
      Address(addr, &ip, &port);
      const auto counted = per_client.find(ip);
      if (limits.max_connections_per_client && counted != per_client.end() &&
          counted->second >= limits.max_connections_per_client) {
        RefuseAtOnce(fd, ip);
        continue;
      }
      auto owned = std::make_unique<Conn>(limits.head);
      Conn& c = *owned;
      c.fd = fd;
      c.ip = std::move(ip);
      c.port = port;
      sockaddr_storage local{};
      socklen_t local_len = sizeof local;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0)
        Address(local, &c.local_ip, &c.local_port);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conns.emplace(fd, std::move(owned));
      ++per_client[c.ip];
      c.counted = true;
      c.deadline = Clock::now() + limits.idle_timeout;
      Watch(c, EPOLLIN);
    }
  }

  void Sweep() {
    const auto now = Clock::now();
    std::vector<Conn*> due;
    for (auto& [fd, c] : conns)
      if (c->state != State::kBusy && now >= c->deadline) due.push_back(c.get());
    for (Conn* c : due) {
      if (c->state == State::kReading && c->in_request) {
        const RequestHead& h = c->parser.Parse(c->in);
        Refuse(*c, 408, "request_timeout",
               "the request did not arrive within " + std::to_string(limits.request_timeout.count()) + " ms",
               h.method, h.target);
        if (!Send(*c)) c->broken = true;
        Continue(*c);
      } else {
        Close(*c);  // idle, too slow to read its responses, or done lingering
      }
    }
  }

  void TakeBack() {
    std::vector<Conn*> done;
    {
      std::lock_guard<std::mutex> lk(back_mu);
      done.swap(back);
    }
    for (Conn* c : done) {
      c->state = State::kReading;  // not busy; Continue() decides
      Continue(*c);
    }
  }

  // --- the workers ---

  class BufferStream : public httplib::Stream {
   public:
    BufferStream(const Conn& c, std::string_view request, std::string* out)
        : c_(c), in_(request), out_(out) {}
    bool is_readable() const override { return pos_ < in_.size(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
      const size_t n = std::min(size, in_.size() - pos_);
      std::memcpy(ptr, in_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
      out_->append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
      ip = c_.ip;
      port = c_.port;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
      ip = c_.local_ip;
      port = c_.local_port;
    }
    socket_t socket() const override { return c_.fd; }

   private:
    const Conn& c_;
    std::string_view in_;
    std::string* out_;
    size_t pos_ = 0;
  };

  // Answers the whole requests at the start of c.in, in order.
  void Serve(Conn& c) {
    for (;;) {
      const RequestHead& h = c.parser.Parse(c.in);
      if (h.state == RequestHead::State::kError) {
        Refuse(c, h.status, h.code, h.message, h.method, h.target);
        break;
      }
      if (!RequestReady(c)) break;
      if (h.unknown_method) {  // httplib would answer 400
        const bool post_only = IsBodyTarget("POST", h.full_target);  // POST /related (issue 25)
        if (is_api_target && is_api_target(h.full_target))
          Refuse(c, 405, "method_not_allowed",
                 h.method + " is not allowed here; use " + (post_only ? "POST" : "GET or HEAD"), h.method,
                 h.target, post_only ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n");
        else
          Refuse(c, 404, "not_found", "no such endpoint", h.method, h.target);
        break;
      }
      const size_t total = h.head_bytes + h.body_bytes;
      std::string request = h.forward;
      request.append(c.in, h.head_bytes, h.body_bytes);
      BufferStream strm(c, request, &c.out);
      const bool last = c.requests + 1 >= limits.max_requests_per_connection;
      bool closed = false;
      const bool ok = server->Process(strm, last, closed);
      ++c.requests;
      c.in.erase(0, total);
      c.parser.Reset();
      c.sent_continue = false;
      c.in_request = !c.in.empty();
      if (c.in_request) c.request_start = Clock::now();
      if (!ok || last || closed) {
        c.close_after = true;
        break;
      }
      if (c.out.size() >= kMaxPendingOutput) break;
    }
    if (!Send(c)) c.broken = true;
  }

  void WorkerLoop(Worker& w) {
    for (;;) {
      Conn* c;
      {
        std::unique_lock<std::mutex> lk(work_mu);
        if (!w.job && !work.empty()) {
          w.job = work.front();
          work.pop_front();
        }
        if (!w.job && !workers_stop) {
          idle.push_back(&w);
          w.cv.wait(lk, [&] { return workers_stop || w.job; });
        }
        if (workers_stop) return;
        c = w.job;
        w.job = nullptr;
      }
      Serve(*c);
      {
        std::lock_guard<std::mutex> lk(back_mu);
        back.push_back(c);
      }
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t w = ::write(wake, &one, sizeof one);
    }
  }

  bool Run(int listen_fd) {
    listener = listen_fd;
    if (ep < 0 || wake < 0) return false;
    fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listener_tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    ev.data.ptr = &wake_tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev);
    for (unsigned i = 0; i < std::max(1u, limits.workers); ++i) {
      workers.push_back(std::make_unique<Worker>());
      Worker* w = workers.back().get();
      w->thread = std::thread([this, w] { WorkerLoop(*w); });
    }

    auto next_sweep = Clock::now() + kSweepInterval;
    std::vector<epoll_event> events(256);
    while (!stopping.load()) {
      const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kSweepInterval.count()));
      for (int i = 0; i < n; ++i) {
        void* p = events[i].data.ptr;
        if (p == &listener_tag) {
          Accept();
        } else if (p == &wake_tag) {
          uint64_t v;
          [[maybe_unused]] ssize_t r = ::read(wake, &v, sizeof v);
        } else {
          Conn& c = *static_cast<Conn*>(p);
          if (c.state == State::kWriting)
            OnWritable(c);
          else if (c.state == State::kReading || c.state == State::kLingering)
            OnReadable(c);
        }
      }
      TakeBack();
      const auto now = Clock::now();
      if (listener_paused && now >= listener_resume) {
        epoll_event lev{};
        lev.events = EPOLLIN;
        lev.data.ptr = &listener_tag;
        epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
        listener_paused = false;
      }
      if (now >= next_sweep) {
        Sweep();
        next_sweep = now + kSweepInterval;
      }
    }

    {
      std::lock_guard<std::mutex> lk(work_mu);
      workers_stop = true;
    }
    for (auto& w : workers) w->cv.notify_one();
    for (auto& w : workers) w->thread.join();
    for (auto& [fd, c] : conns) ::close(fd);
    conns.clear();
    per_client.clear();
    return true;
  }
};

GuardedServer::GuardedServer(const ConnectionLimits& limits) : impl_(std::make_unique<Impl>(this, limits)) {}

GuardedServer::~GuardedServer() = default;

void GuardedServer::set_refusal_logger(std::function<void(const Refusal&)> logger) {
  impl_->refusal_logger = std::move(logger);
}

void GuardedServer::set_api_target(std::function<bool(const std::string&)> is_api) {
  impl_->is_api_target = std::move(is_api);
}

void GuardedServer::set_error_body(std::function<std::string(const std::string&, const std::string&)> body) {
  impl_->error_body = std::move(body);
}

bool GuardedServer::Process(httplib::Stream& strm, bool close_connection, bool& connection_closed) {
  return process_request(strm, close_connection, connection_closed, nullptr);
}

int GuardedServer::Bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0)
    bound = bind_to_any_port(host);
  else if (!bind_to_port(host, port))
    bound = -1;
  if (bound <= 0) return -1;
  // httplib listens with a backlog of 5; listening again sets a longer one.
  if (::listen(svr_sock_, impl_->limits.listen_backlog) != 0) return -1;
  return bound;
}

bool GuardedServer::Serve() {
  const int fd = svr_sock_;
  if (fd == INVALID_SOCKET) return false;
  const bool ok = impl_->Run(fd);
  svr_sock_ = INVALID_SOCKET;
  ::close(fd);
  return ok;
}

void GuardedServer::Stop() {
  impl_->stopping.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(impl_->wake, &one, sizeof one);
}

}  // namespace searchd
