#include "routes.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "json_writer.h"
#include "request_head.h"
#include "web_page.h"

#include "tongwen/article.h"

namespace searchd {
namespace {

using nlohmann::json;

int HttpStatus(const tongwen::Status& s) {
  switch (s.code()) {
    case tongwen::Code::kOk:
      return 200;
    case tongwen::Code::kInvalidArgument:
      return 400;
    case tongwen::Code::kNotFound:
      return 404;
    case tongwen::Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void SendError(httplib::Response& res, int status, const std::string& code, const std::string& message,
               const std::string& parameter = {}) {
  res.status = status;
  res.set_content(ErrorJson(code, message, parameter), "application/json; charset=utf-8");
}

// A server-side failure: the client gets a generic message (no paths, no
// library class names), the server log the detail.
void SendServerError(httplib::Response& res, const tongwen::Status& s, const httplib::Request& req) {
  std::fprintf(stderr, "searchd: error: %s %s: %s\n", req.method.c_str(), req.path.c_str(),
               s.ToString().c_str());
  if (s.code() == tongwen::Code::kUnavailable)
    return SendError(res, 503, "unavailable", "the index is not available; see the server log");
  SendError(res, HttpStatus(s), s.code_name(), "internal error; see the server log");
}

void SendStatus(httplib::Response& res, const tongwen::Status& s, const httplib::Request& req) {
  if (HttpStatus(s) >= 500) return SendServerError(res, s, req);
  std::string code = s.code() == tongwen::Code::kInvalidArgument ? "invalid_parameter" : s.code_name();
  SendError(res, HttpStatus(s), code, s.where().empty() ? s.message() : s.where() + ": " + s.message(),
            s.where());
}

// Parses a non-negative integer parameter; false (and a 400) if malformed.
bool UintParam(const httplib::Request& req, httplib::Response& res, const char* name, size_t* out) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  char* end = nullptr;
  errno = 0;
  long long n = v.empty() ? -1 : std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno) {
    SendError(res, 400, "invalid_parameter", std::string(name) + " must be an integer, got \"" + v + "\"",
              name);
    return false;
  }
  if (n < 0) {
    SendError(res, 400, "invalid_parameter", std::string(name) + " must not be negative", name);
    return false;
  }
  *out = static_cast<size_t>(std::min<long long>(n, 1LL << 40));
  return true;
}

bool EnumParam(const httplib::Request& req, httplib::Response& res, const char* name,
               std::initializer_list<const char*> allowed, std::string* out) {
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  for (const char* a : allowed)
    if (v == a) {
      *out = v;
      return true;
    }
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  SendError(res, 400, "invalid_parameter",
            std::string(name) + " must be one of: " + list + "; got \"" + v + "\"", name);
  return false;
}

void WriteHit(const tongwen::Hit& h, JsonWriter& w) {
  w.BeginObject();
  w.Key("id").String(h.id);
  w.Key("score").Double(h.score);
  w.Key("title").BeginObject();
  for (const auto& [tag, t] : h.titles) w.Key(tag).String(t);
  w.EndObject();
  w.Key("snippet").BeginObject();
  for (const auto& [tag, sn] : h.snippets) w.Key(tag).String(sn);
  w.EndObject();
  w.Key("published").StringOrNull(h.published);
  w.Key("source").StringOrNull(h.source);
  w.Key("section").StringOrNull(h.section);
  w.Key("url").StringOrNull(h.url);
  w.Key("original_language").StringOrNull(h.original_language);
  if (!h.matched_via.empty()) w.Key("matched_via").String(h.matched_via);
  if (h.relaxed) w.Key("relaxed").Bool(true);
  if (h.duplicates) w.Key("duplicates").Uint(h.duplicates);
  w.EndObject();
}

void WriteQuery(const tongwen::QueryInfo& q, JsonWriter& w) {
  w.BeginObject();
  w.Key("detected_language").String(q.detected_language);
  w.Key("mode").String(q.mode);
  w.Key("cross").Bool(q.cross);
  w.Key("translation_weight").Double(q.translation_weight);
  w.Key("scoring").BeginObject();
  w.Key("versions").String("best");
  w.Key("scale").BeginObject();
  w.Key("en").Double(q.scale_en);
  w.Key("zh").Double(q.scale_zh);
  w.EndObject();
  w.Key("translation_factor").Double(q.translation_factor);
  w.Key("exact_title").Double(q.exact_title);
  w.Key("coordination").Double(q.coordination);
  w.EndObject();
  w.Key("words").BeginArray();
  for (const auto& word : q.words) {
    w.BeginObject();
    w.Key("text").String(word.text);
    w.Key("lang").String(word.lang);
    w.Key("translations").BeginArray();
    for (const auto& t : word.translations) {
      w.BeginObject();
      w.Key("term").String(t.term);
      w.Key("weight").Double(t.weight);
      if (t.partial) w.Key("partial").Bool(true);
      w.EndObject();
    }
    w.EndArray();
    if (word.romanised) w.Key("romanised").Bool(true);
    if (!word.variants.empty()) {
      w.Key("variants").BeginArray();
      for (const auto& v : word.variants) w.String(v);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("relaxed").Bool(q.relaxed);
  w.Key("truncated").Bool(q.truncated);
  w.Key("limits").BeginObject();
  w.Key("max_query_bytes").Uint(q.max_query_bytes);
  w.Key("max_query_words").Uint(q.max_query_units);
  w.EndObject();
  if (!q.repairs.empty()) {
    w.Key("repairs").BeginArray();
    for (const auto& r : q.repairs) w.String(r);
    w.EndArray();
  }
  if (!q.suggestion.empty()) w.Key("suggestion").String(q.suggestion);
  if (q.corrected) w.Key("corrected").Bool(true);
  if (!q.prefix_word.empty()) {
    w.Key("prefix").BeginObject();
    w.Key("word").String(q.prefix_word);
    w.Key("expanded").BeginArray();
    for (const auto& e : q.prefix_expanded) w.String(e);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
}

// The body of a search or related response.
std::string ResponseBody(const tongwen::SearchResponse& r) {
  std::string out;
  out.reserve(2048 + r.hits.size() * 1024);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("total").Uint(r.total);
  w.Key("total_exact").Bool(r.total_exact);
  w.Key("total_estimate").Uint(r.total_estimate);
  w.Key("total_relation").String(r.total_exact ? "eq" : "gte");
  w.Key("took_ms").Double(std::round(r.took_ms * 1000) / 1000);
  w.Key("hits").BeginArray();
  for (const auto& h : r.hits) WriteHit(h, w);
  w.EndArray();
  w.Key("query");
  WriteQuery(r.query, w);
  if (!r.facets.empty()) {
    w.Key("facets").BeginObject();
    for (const auto& [name, vals] : r.facets) {
      w.Key(name).BeginArray();
      for (const auto& v : vals) {
        w.BeginObject();
        w.Key("value").String(v.value);
        w.Key("count").Uint(v.count);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndObject();
  return out;
}

void SendBody(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), "application/json; charset=utf-8");
}

// Splits "a,b" and repeated parameters into a list, each value once (in the
// order of first appearance).
std::vector<std::string> ListParam(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  size_t n = req.get_param_value_count(name);
  for (size_t i = 0; i < n; ++i) {
    std::string v = req.get_param_value(name, i);
    size_t p = 0;
    while (p <= v.size()) {
      size_t q = v.find(',', p);
      if (q == std::string::npos) q = v.size();
      std::string one = v.substr(p, q - p);
      if (!one.empty() && seen.insert(one).second) out.push_back(std::move(one));
      p = q + 1;
    }
  }
  return out;
}

// "/articles/{id}" or "/articles/{id}/related", read from the raw target so
// that an id containing '/' can be asked for percent-encoded (%2F). False
// for any other path.
bool ArticleTarget(const std::string& target, std::string* id, bool* related) {
  std::string_view path(target);
  path = path.substr(0, path.find('?'));
  constexpr std::string_view kPrefix = "/articles/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  path.remove_prefix(kPrefix.size());
  const size_t slash = path.find('/');
  *related = slash != std::string_view::npos;
  if (*related && path.substr(slash) != "/related") return false;
  const std::string_view raw = path.substr(0, slash);
  if (raw.empty()) return false;
  *id = httplib::detail::decode_url(std::string(raw), false);
  return !id->empty();
}

}  // namespace

bool ReadSearchRequest(const httplib::Request& req, httplib::Response& res, tongwen::SearchRequest* out) {
  tongwen::SearchRequest& r = *out;
  r.q = req.get_param_value("q");
  if (!UintParam(req, res, "limit", &r.limit) || !UintParam(req, res, "offset", &r.offset) ||
      !UintParam(req, res, "snippet_length", &r.snippet_length))
    return false;
  std::string mode = "all", cross = "auto", sort = "relevance", collapse, lang, original, prefix = "none";
  if (!EnumParam(req, res, "mode", {"all", "any"}, &mode) ||
      !EnumParam(req, res, "cross", {"auto", "off"}, &cross) ||
      !EnumParam(req, res, "query_lang", {"auto", "en", "zh"}, &r.lang_hint) ||
      !EnumParam(req, res, "lang", {"auto", "en", "zh"}, &lang) ||
      !EnumParam(req, res, "original", {"en", "zh"}, &original) ||
      !EnumParam(req, res, "sort", {"relevance", "date", "-date"}, &sort) ||
      !EnumParam(req, res, "collapse", {"duplicates", "none"}, &collapse) ||
      !EnumParam(req, res, "prefix", {"none", "last"}, &prefix))
    return false;
  r.prefix = prefix == "last" ? tongwen::SearchRequest::Prefix::kLast : tongwen::SearchRequest::Prefix::kNone;
  r.mode = mode == "any" ? tongwen::SearchRequest::Mode::kAny : tongwen::SearchRequest::Mode::kAll;
  r.cross = cross == "off" ? tongwen::SearchRequest::Cross::kOff : tongwen::SearchRequest::Cross::kAuto;
  r.lang = lang == "auto" ? "" : lang;
  r.original = original;
  r.sort = sort == "date"    ? tongwen::SearchRequest::Sort::kDate
           : sort == "-date" ? tongwen::SearchRequest::Sort::kDateDesc
                             : tongwen::SearchRequest::Sort::kRelevance;
  r.collapse_duplicates = collapse == "duplicates";
  r.from = req.get_param_value("from");
  r.to = req.get_param_value("to");
  r.sources = ListParam(req, "source");
  r.section = req.get_param_value("section");
  r.facets = ListParam(req, "facets");
  if (req.has_param("recency")) {
    std::string v = req.get_param_value("recency");
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !std::isfinite(d)) {
      SendError(res, 400, "invalid_parameter", "recency must be a number of days, got \"" + v + "\"",
                "recency");
      return false;
    }
    r.recency = d;
  }
  return true;
}

namespace {

void HandleSearch(const ServerState& st, const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("q")) return SendError(res, 400, "missing_parameter", "q is required", "q");
  tongwen::SearchRequest r;
  if (!ReadSearchRequest(req, res, &r)) return;
  auto out = st.engine->Search(r);  // validates r
  if (!out.ok()) return SendStatus(res, out.status(), req);
  SendBody(res, 200, ResponseBody(*out));
}

void HandleArticle(const ServerState& st, const std::string& id, const httplib::Request& req,
                   httplib::Response& res) {
  auto a = st.engine->GetArticle(id);
  if (!a.ok()) return SendStatus(res, a.status(), req);
  json j = json::parse(a->json, nullptr, false);
  if (j.is_discarded()) return SendError(res, 500, "corruption", "stored article is not valid JSON");
  j["duplicates"] = a->duplicates;
  SendJson(res, 200, j);
}

void HandleRelated(const ServerState& st, const std::string& id, const httplib::Request& req,
                   httplib::Response& res) {
  size_t limit = 10, snippet_length = tongwen::kDefaultSnippetLength;
  if (!UintParam(req, res, "limit", &limit) || !UintParam(req, res, "snippet_length", &snippet_length))
    return;
  auto out = st.engine->Related(id, limit, req.get_param_value("before"), snippet_length);
  if (!out.ok()) return SendStatus(res, out.status(), req);
  SendBody(res, 200, ResponseBody(*out));
}

}  // namespace

void RegisterRoutes(httplib::Server& server, const ServerState& st) {
  server.Get("/search", [&st](const httplib::Request& q, httplib::Response& r) { HandleSearch(st, q, r); });
  // Security headers on every response (the reader page adds its CSP), and
  // no Range support (connections.cc drops Range; httplib would otherwise
  // announce "Accept-Ranges: bytes" on HEAD).
  server.set_default_headers(
      {{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}, {"Accept-Ranges", "none"}});
  server.Get(R"(/articles/[\s\S]+)", [&st](const httplib::Request& q, httplib::Response& r) {
    std::string id;
    bool related = false;
    if (!ArticleTarget(q.target, &id, &related)) return SendError(r, 404, "not_found", "no such endpoint");
    if (related) return HandleRelated(st, id, q, r);
    HandleArticle(st, id, q, r);
  });
  server.Get("/feed", [&st](const httplib::Request& q, httplib::Response& r) { HandleFeed(st, q, r); });
  server.Post("/related",
              [&st](const httplib::Request& q, httplib::Response& r) { HandleDraftRelated(st, q, r); });
  server.Get("/health", [&st](const httplib::Request&, httplib::Response& r) {
    auto s = st.engine->Stats();
    if (!s.ok()) {
      std::fprintf(stderr, "searchd: error: GET /health: %s\n", s.status().ToString().c_str());
      return SendError(r, 503, "unavailable", "the index is not available; see the server log");
    }
    SendJson(r, 200, {{"status", "ok"}, {"documents", s->documents}, {"dictionary", st.dictionary_status}});
  });
  server.Get("/stats", [&st](const httplib::Request& q, httplib::Response& r) {
    auto s = st.engine->Stats();
    if (!s.ok()) return SendStatus(r, s.status(), q);
    SendJson(r, 200,
             {{"documents", s->documents},
              {"languages", s->languages},
              {"date_range",
               {{"from", s->first_date.empty() ? json() : json(s->first_date)},
                {"to", s->last_date.empty() ? json() : json(s->last_date)}}},
              {"size_bytes", s->size_bytes},
              {"generation", s->generation},
              {"schema", s->schema},
              {"dictionary", st.dictionary_status}});
  });
  server.Get("/metrics", [&st](const httplib::Request&, httplib::Response& r) {
    r.set_content(st.metrics->Render(st.engine->DocCount(), st.engine->PositionMemoryBytes()),
                  "text/plain; version=0.0.4");
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& r) {
    r.set_header("Content-Security-Policy", WebPageCsp());
    r.set_header("X-Frame-Options", "DENY");
    r.set_content(kWebPage, "text/html; charset=utf-8");
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& r) {
    if (!r.body.empty()) return;
    if (r.status == 404)
      SendError(r, 404, "not_found", "no such endpoint");
    else if (r.status == 413)
      SendError(r, 413, "payload_too_large", "request too large");
    else if (r.status == 414)
      SendError(r, 414, "uri_too_long", "request URI too long");
    else if (r.status == 405)
      SendError(r, 405, "method_not_allowed", "method not allowed");
    else if (r.status == 416)  // a malformed Range never reaches httplib; just in case
      SendError(r, 416, "bad_request", "bad request");
    else if (r.status >= 400 && r.status < 500)
      SendError(r, r.status, "bad_request", "bad request");
  });
  server.set_exception_handler([](const httplib::Request& q, httplib::Response& r, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "searchd: error: %s %s: %s\n", q.method.c_str(), q.path.c_str(), what.c_str());
    SendError(r, 500, "internal", "internal error; see the server log");
  });
}

void SendApiError(httplib::Response& res, int status, const std::string& code, const std::string& message,
                  const std::string& parameter) {
  SendError(res, status, code, message, parameter);
}
void SendApiStatus(httplib::Response& res, const tongwen::Status& s, const httplib::Request& req) {
  SendStatus(res, s, req);
}
std::string SearchResponseJson(const tongwen::SearchResponse& r) { return ResponseBody(r); }

std::string ErrorJson(const std::string& code, const std::string& message, const std::string& parameter) {
  json e = {{"code", code}, {"message", message}};
  if (!parameter.empty()) e["parameter"] = parameter;
  return json{{"error", e}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool Screen(const ServerState& st, const httplib::Request& req, httplib::Response& res) {
  if (!st.allowed_hosts.empty() && req.has_header("Host")) {
    std::string host = req.get_header_value("Host");
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(st.allowed_hosts.begin(), st.allowed_hosts.end(), host) == st.allowed_hosts.end()) {
      SendError(res, 421, "misdirected_request",
                "the Host header does not name this server (localhost, 127.0.0.1 or [::1] and its port)");
      return true;
    }
  }
  if (IsBodyTarget("POST", req.target)) {  // POST /related (issue 25) takes POST alone
    if (req.method == "POST") return false;
    res.set_header("Allow", "POST");
    SendError(res, 405, "method_not_allowed", req.method + " is not allowed here; use POST");
    return true;
  }
  if (req.method != "GET" && req.method != "HEAD" && IsApiTarget(req.target)) {
    res.set_header("Allow", "GET, HEAD");
    SendError(res, 405, "method_not_allowed", req.method + " is not allowed here; use GET or HEAD");
    return true;
  }
  return false;
}

bool IsApiTarget(const std::string& target) {
  const std::string path = httplib::detail::decode_url(target.substr(0, target.find('?')), false);
  for (const char* p : {"/search", "/feed", "/health", "/stats", "/metrics", "/", "/related"})
    if (path == p) return true;
  std::string id;
  bool related;
  return ArticleTarget(target, &id, &related);
}

std::vector<std::string> LoopbackHosts(const std::string& host, int port) {
  const bool loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
  if (!loopback) return {};
  std::vector<std::string> names = {"localhost", "127.0.0.1", "[::1]"};
  if (host.rfind("127.", 0) == 0 && host != "127.0.0.1") names.push_back(host);
  std::vector<std::string> out = names;
  for (const std::string& n : names) out.push_back(n + ":" + std::to_string(port));
  return out;
}

std::string RouteOf(const httplib::Request& req) {
  for (const char* p : {"/search", "/feed", "/health", "/stats", "/metrics", "/", "/related"})
    if (req.path == p) return p;
  std::string id;
  bool related = false;
  if (ArticleTarget(req.target, &id, &related)) return related ? "/articles/{id}/related" : "/articles/{id}";
  return "other";
}

}  // namespace searchd
