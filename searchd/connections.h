// searchd's connection handling, in front of cpp-httplib's request
// processing. httplib 0.11 gives each connection a worker thread for its
// whole life, restarts the read timeout on every byte, reads request heads
// without a bound on their size and drops pipelined requests; here instead
// one poller thread (epoll) reads every connection's request head and body
// under limits and deadlines, and a worker thread only runs once a whole
// request has arrived: httplib parses that one buffered request
// (Server::process_request), the handlers answer it, and the response goes
// back to the poller to be sent. A client that sends slowly, or keeps a
// connection idle, holds a socket and a buffer, never a worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "error_response.h"
#include "request_head.h"

namespace searchd {

struct ConnectionLimits {
  HeadLimits head;
  // From a request's first byte to its last (head and body): 408 past it.
  std::chrono::milliseconds request_timeout{10000};
  // A connection waiting for its next request (or its first) is closed after this.
  std::chrono::milliseconds idle_timeout{5000};
  // To send a batch of responses; a client that reads slower is dropped.
  std::chrono::milliseconds write_timeout{10000};
  // After an error response, input is read and discarded this long (at most
  // 1 MiB) before closing, so that the client sees the response, not a reset.
  std::chrono::milliseconds linger{2000};
  size_t max_requests_per_connection = 1000;
  size_t max_connections = 4096;           // further connections are closed at once
  // Per remote address; 0 = no cap. Past it a connection is answered 503
  // and closed at once.
  size_t max_connections_per_client = 64;
  int listen_backlog = 1024;
  unsigned workers = 16;
};

// A request (or connection) refused before it reached httplib.
struct Refusal {
  std::string remote_addr, method, target;  // method/target empty if not read
  int status = 0;
  double seconds = 0;  // since the request's first byte
};

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(const ConnectionLimits& limits);
  ~GuardedServer() override;

  // Called (from any thread) for every refused request or connection.
  void set_refusal_logger(std::function<void(const Refusal&)> logger);
  // `body(code, message)`: the JSON body of an error response.
  void set_error_body(std::function<std::string(const std::string&, const std::string&)> body);
  // Whether a request target is one of the API's paths: a method httplib
  // does not know is answered 405 there, 404 elsewhere.
  void set_api_target(std::function<bool(const std::string&)> is_api);

  // Binds and listens (with limits.listen_backlog); port 0 picks a free
  // port. Returns the port, or -1.
  int Bind(const std::string& host, int port);
  // Serves the bound socket until Stop(); false if it could not start.
  bool Serve();
  // Async-signal-safe.
  void Stop();

 private:
  struct Impl;
  // httplib's parsing, routing and response writing for one request.
  bool Process(httplib::Stream& strm, bool close_connection, bool& connection_closed);

  std::unique_ptr<Impl> impl_;
};

}  // namespace searchd
