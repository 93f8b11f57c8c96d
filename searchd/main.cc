// searchd: the HTTP daemon. Parses flags, loads the dictionary, opens the
// engine and serves the routes in routes.cc.
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "connections.h"
#include "descriptors.h"
#include "metrics.h"
#include "routes.h"

#include "tongwen/config.h"
#include "tongwen/engine.h"
#include "tongwen/lexicon.h"

namespace {

const char* kUsage =
    "usage: searchd --db DIR [--listen HOST:PORT] [--threads N] [--dictionary FILE]\n"
    "               [--require-dictionary | --no-dictionary] [--quiet]\n"
    "  --listen HOST:PORT   default 127.0.0.1:8080; port 0 picks a free port\n"
    "  --threads N          worker threads, each answering one request at a time\n"
    "                       (default: 8 x cores, at least 16)\n"
    "  --dictionary FILE    CC-CEDICT lexicon (.lex, text or .gz); default: the installed one\n"
    "  --require-dictionary refuse to start without a working dictionary\n"
    "  --no-dictionary      cross-language search off\n"
    "  --quiet              no access log\n"
    "  --translation-weight W  weight of the translated part of a query (default 1.5)\n"
    "  --translation-factor D  translated matches score D times literal ones (default 2.5)\n"
    "  --max-translations N    translations kept per English word (default 6)\n"
    "  --no-romanised-names    do not match romanised names (Tsai Ing-wen) via pinyin\n"
    "  --positions-on-disk     phrase checks read positions from the database, not from a copy\n"
    "                          in memory (~1.8 KB an article; phrases of common words are slower)\n"
    "  --query-time-limit MS   stop matching a query after MS milliseconds (default 2000; 0 = none)\n"
    "  --request-timeout MS    a request must arrive whole within MS of its first byte (default 10000)\n"
    "  --idle-timeout MS       close a connection idle this long between requests (default 5000)\n"
    "  --max-connections-per-client N  open connections per client address (default 64; at most, and\n"
    "                                  with 0, half the connection cap)\n";

searchd::GuardedServer* g_server = nullptr;
void OnSignal(int) {
  if (g_server) g_server->Stop();
}

// A request target or method for the access log: control characters, bytes
// outside ASCII and backslashes as \xHH, so that a client cannot write
// terminal escapes or fake lines into the log.
std::string LogSafe(const std::string& s, size_t max = 300) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7F || c == '\\') {
      char b[5];
      std::snprintf(b, sizeof b, "\\x%02X", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out.empty() ? "-" : out;
}

void LogLine(const std::string& client, const std::string& method, const std::string& target, int status,
             size_t bytes, double secs) {
  char ts[32];
  std::time_t now = std::time(nullptr);
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::fprintf(stderr, "%s %s %s %s %d %zu %.2fms\n", ts, client.empty() ? "-" : client.c_str(),
               LogSafe(method).c_str(), LogSafe(target).c_str(), status, bytes, secs * 1000);
}

// Set by the pre-routing handler; requests httplib rejects before routing
// (414, malformed request lines) never set it and are logged with 0 s.
thread_local std::chrono::steady_clock::time_point t_start;
thread_local bool t_started = false;

}  // namespace

int main(int argc, char** argv) {
  std::string db, listen = "127.0.0.1:8080", dict;
  // Workers run whole requests only (connections.cc reads them); each has its
  // own Xapian::Database. The default, well above the cores, is from when a
  // worker held a connection for its whole life; it was left as it was.
  unsigned threads = std::max(16u, 8 * std::thread::hardware_concurrency());
  bool require_dict = false, no_dict = false, quiet = false;
  tongwen::EngineOptions eo;
  searchd::ConnectionLimits limits;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "searchd: %s needs a value\n%s", name, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    // A numeric option's value, within [lo, hi] (and whole if `integer`);
    // anything else is a usage error naming the option and its range.
    auto number = [&](const char* name, double lo, double hi, bool integer, const char* range) -> double {
      const char* v = next(name);
      char* end = nullptr;
      const double x = integer ? static_cast<double>(std::strtol(v, &end, 10)) : std::strtod(v, &end);
      if (end == v || *end || !(x >= lo && x <= hi)) {
        std::fprintf(stderr, "searchd: %s must be %s\n", name, range);
        std::exit(2);
      }
      return x;
    };
    if (a == "--db")
      db = next("--db");
    else if (a == "--listen")
      listen = next("--listen");
    else if (a == "--dictionary")
      dict = next("--dictionary");
    else if (a == "--require-dictionary")
      require_dict = true;
    else if (a == "--no-dictionary")
      no_dict = true;
    else if (a == "--quiet")
      quiet = true;
    else if (a == "--no-romanised-names")
      eo.romanised_names = false;
    else if (a == "--positions-on-disk")
      eo.positions_in_memory = false;
    else if (a == "--query-time-limit")
      eo.query_time_limit_ms =
          static_cast<unsigned>(number("--query-time-limit", 0, 600000, true, "0..600000 ms"));
    else if (a == "--translation-weight")
      eo.translation_weight = number("--translation-weight", 0, 10, false, "a number 0..10");
    else if (a == "--translation-factor")
      eo.translation_factor = number("--translation-factor", 0, 4, false, "a number 0..4");
    else if (a == "--max-translations")
      eo.max_translations = static_cast<unsigned>(number("--max-translations", 1, 50, true, "1..50"));
    else if (a == "--threads")
      threads = static_cast<unsigned>(number("--threads", 1, 256, true, "1..256"));
    else if (a == "--request-timeout")
      limits.request_timeout = std::chrono::milliseconds(
          static_cast<long>(number("--request-timeout", 100, 600000, true, "100..600000 ms")));
    else if (a == "--idle-timeout")
      limits.idle_timeout = std::chrono::milliseconds(
          static_cast<long>(number("--idle-timeout", 100, 600000, true, "100..600000 ms")));
    else if (a == "--max-connections-per-client")
      limits.max_connections_per_client =
          static_cast<size_t>(number("--max-connections-per-client", 0, 100000, true, "0..100000"));
    else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "searchd: unknown argument %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (db.empty()) {
    std::fprintf(stderr, "searchd: --db DIR is required\n%s", kUsage);
    return 2;
  }
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "searchd: --listen must be HOST:PORT, got %s\n", listen.c_str());
    return 2;
  }
  std::string host = listen.substr(0, colon);
  // An IPv6 address may be written in brackets, as in a URL: [::1]:8080.
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) {
    std::fprintf(stderr, "searchd: bad port in --listen %s\n", listen.c_str());
    return 2;
  }

  std::unique_ptr<tongwen::Lexicon> lex;
  std::string dict_status = "off (--no-dictionary)";
  if (!no_dict) {
    auto l = tongwen::LoadDictionary(dict);
    if (!l.ok()) {
      dict_status = "off: " + l.status().message();
    } else if (!*l) {
      dict_status = "off: no dictionary installed (see scripts/fetch-cedict)";
    } else {
      lex = std::move(*l);
      dict_status = "loaded (" + std::to_string(lex->size()) + " headwords)";
    }
    if (!lex) {
      if (require_dict) {
        std::fprintf(stderr, "searchd: dictionary required but unusable: %s\n", dict_status.c_str());
        return 1;
      }
      std::fprintf(stderr, "searchd: warning: cross-language search is %s\n", dict_status.c_str());
    }
  }

  eo.db_dir = db;
  eo.lexicon = lex.get();
  auto engine = tongwen::Engine::Open(eo);
  if (!engine.ok()) {
    std::fprintf(stderr, "searchd: cannot open database: %s\n", engine.status().ToString().c_str());
    return 1;
  }

  // Each connection is a descriptor, and so is each of a worker's database
  // files: take the hard limit, reserve the workers' files, and let
  // connections have what is left (descriptors.h).
  const searchd::DescriptorBudget fds = searchd::RaiseAndPlanDescriptors(threads);
  if (!fds.fits) {
    std::fprintf(
        stderr, "searchd: the open-file limit (%llu) is too low: one worker and %llu connections need %llu\n",
        (unsigned long long)fds.limit, (unsigned long long)searchd::kMinConnections,
        (unsigned long long)(searchd::kFixedFiles + searchd::kFilesPerWorker + searchd::kMinConnections));
    return 1;
  }
  threads = fds.workers;
  limits.workers = threads;
  limits.max_connections = fds.connections;
  // One address may not hold every slot (issue 28).
  if (limits.max_connections_per_client == 0 || limits.max_connections_per_client > fds.connections / 2)
    limits.max_connections_per_client = std::max<size_t>(1, fds.connections / 2);

  searchd::Metrics metrics;
  searchd::ServerState state{engine->get(), &metrics, dict_status, {}};
  searchd::GuardedServer server(limits);
  // Only for the Keep-Alive header httplib writes; connections.cc applies them.
  server.set_keep_alive_max_count(limits.max_requests_per_connection);
  server.set_keep_alive_timeout(std::max<time_t>(1, limits.idle_timeout.count() / 1000));
  // TCP_NODELAY (set again on accepted sockets): httplib writes the headers
  // and the body separately, and with Nagle's algorithm a kept-alive client
  // waits for a delayed ACK, ~40 ms per response.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });
  server.set_payload_max_length(std::max(limits.head.max_body, limits.head.max_post_body));
  server.set_pre_routing_handler([&state](const httplib::Request& req, httplib::Response& res) {
    t_start = std::chrono::steady_clock::now();
    t_started = true;
    return searchd::Screen(state, req, res) ? httplib::Server::HandlerResponse::Handled
                                            : httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger([&metrics, quiet](const httplib::Request& req, const httplib::Response& res) {
    double secs =
        t_started ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() : 0.0;
    t_started = false;
    metrics.Record(searchd::RouteOf(req), res.status, secs);
    if (!quiet) LogLine(req.remote_addr, req.method, req.target, res.status, res.body.size(), secs);
  });
  server.set_refusal_logger([&metrics, quiet](const searchd::Refusal& r) {
    metrics.Record("other", r.status, r.seconds);
    if (!quiet) LogLine(r.remote_addr, r.method, r.target, r.status, 0, r.seconds);
  });
  server.set_error_body(
      [](const std::string& code, const std::string& message) { return searchd::ErrorJson(code, message); });
  server.set_api_target(searchd::IsApiTarget);
  searchd::RegisterRoutes(server, state);

  const int bound = server.Bind(host, static_cast<int>(port));
  if (bound <= 0) {
    std::fprintf(stderr, "searchd: cannot bind %s:%ld\n", host.c_str(), port);
    return 1;
  }
  state.allowed_hosts = searchd::LoopbackHosts(host, bound);
  g_server = &server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf(
      "searchd: listening on http://%s:%d (%llu documents, %u threads, dictionary %s; %s, %zu per client)\n",
      shown_host.c_str(), bound, (unsigned long long)(*engine)->DocCount(), threads, dict_status.c_str(),
      searchd::Describe(fds).c_str(), limits.max_connections_per_client);
  std::fflush(stdout);
  if (!server.Serve()) {
    std::fprintf(stderr, "searchd: cannot serve %s:%d\n", host.c_str(), bound);
    return 1;
  }
  return 0;
}
