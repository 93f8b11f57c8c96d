// POST /related (issue 25): prior coverage of a draft. The body is read by
// draft_body.cc; the engine chooses the draft's terms and searches
// (Engine::RelatedToText); the response is /articles/{id}/related's.
#include <string>

#include "draft_body.h"
#include "routes.h"

namespace searchd {

void HandleDraftRelated(const ServerState& st, const httplib::Request& req, httplib::Response& res) {
  const std::string type = req.get_header_value("Content-Type");
  if (!IsJsonContentType(type))
    return SendApiError(res, 415, "unsupported_media_type",
                        "Content-Type must be application/json (UTF-8), got \"" + type.substr(0, 100) + "\"");
  tongwen::DraftRequest draft;
  BodyError err;
  if (!ParseDraftBody(req.body, &draft, &err))
    return SendApiError(res, err.status, err.code, err.message, err.parameter);
  auto out = st.engine->RelatedToText(draft);  // validates the values
  if (!out.ok()) return SendApiStatus(res, out.status(), req);
  res.status = 200;
  res.set_content(SearchResponseJson(*out), "application/json; charset=utf-8");
}

}  // namespace searchd
