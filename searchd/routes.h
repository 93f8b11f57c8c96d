// HTTP routes of searchd. Handlers parse the request, call the engine and
// map the result (or Status) to JSON; they hold no ranking or caching logic.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <httplib.h>

#include "metrics.h"

#include "tongwen/engine.h"

namespace searchd {

struct ServerState {
  const tongwen::Engine* engine = nullptr;
  Metrics* metrics = nullptr;
  std::string dictionary_status;  // "loaded (N headwords)" or why cross-language is off
  // Host header values accepted, lower case ("localhost:8080"); empty: any.
  // Set when searchd listens on loopback, against DNS rebinding.
  std::vector<std::string> allowed_hosts;
};

void RegisterRoutes(httplib::Server& server, const ServerState& state);

// Checks a request before routing: a Host header naming this server, and
// GET/HEAD on the API's paths (405 with Allow otherwise). True if it
// answered the request.
bool Screen(const ServerState& state, const httplib::Request& req, httplib::Response& res);

// Whether a request target (path and query, as sent) is one of the API's
// paths (/search, /articles/{id}, ...).
bool IsApiTarget(const std::string& target);

// The Host values that name a server listening on loopback `host`:`port`
// (localhost, 127.0.0.1, [::1], with or without the port); empty if `host`
// is not a loopback address.
std::vector<std::string> LoopbackHosts(const std::string& host, int port);

// The route pattern a request went to, for metrics ("/search",
// "/articles/{id}", ...; "other" for anything else).
std::string RouteOf(const httplib::Request& req);

// For handlers in files of their own (related_draft.cc, feed.cc): an
// error response; a Status as its HTTP error (a 5xx with a generic message,
// the detail to the log); the JSON body of a search or related response.
void SendApiError(httplib::Response& res, int status, const std::string& code, const std::string& message,
                  const std::string& parameter = {});
void SendApiStatus(httplib::Response& res, const tongwen::Status& s, const httplib::Request& req);
std::string SearchResponseJson(const tongwen::SearchResponse& r);

// Reads /search's parameters (all but q's presence) into `out`; false
// after answering a malformed one with a 400.
bool ReadSearchRequest(const httplib::Request& req, httplib::Response& res, tongwen::SearchRequest* out);

// POST /related (related_draft.cc, issue 25).
void HandleDraftRelated(const ServerState& st, const httplib::Request& req, httplib::Response& res);
// GET /feed: a search as an Atom feed (feed.cc, issue 25).
void HandleFeed(const ServerState& st, const httplib::Request& req, httplib::Response& res);

// The body of an error response: {"error": {"code", "message"[, "parameter"]}}.
std::string ErrorJson(const std::string& code, const std::string& message, const std::string& parameter = {});

}  // namespace searchd
