// HTTP routes of searchd. Handlers parse the request, call the engine and
// map the result (or Status) to JSON; they hold no ranking or caching logic.
#pragma once

#include <atomic>
#include <string>

#include <httplib.h>

#include "metrics.h"

#include "tongwen/engine.h"

namespace searchd {

struct ServerState {
  const tongwen::Engine* engine = nullptr;
  Metrics* metrics = nullptr;
  std::string dictionary_status;  // "loaded (N headwords)" or why cross-language is off
};

void RegisterRoutes(httplib::Server& server, const ServerState& state);

// The body of an error response: {"error": {"code", "message"[, "parameter"]}}.
std::string ErrorJson(const std::string& code, const std::string& message, const std::string& parameter = {});

}  // namespace searchd
