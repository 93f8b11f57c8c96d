// The body of POST /related (issue 25): a JSON object with the draft and the
// request's options, read into a tongwen::DraftRequest. No httplib here, so
// that the unit tests and the fuzz target take it alone.
#pragma once

#include <string>
#include <string_view>

#include "tongwen/search_types.h"

namespace searchd {

// A body that cannot be read: the HTTP status (400), the error code
// (bad_request, missing_parameter, invalid_parameter) and the field it
// names (empty for the body as a whole).
struct BodyError {
  int status = 400;
  std::string code, message, parameter;
};

// JSON nested deeper than this is refused before it is parsed (the draft
// has two levels: the object and the source list).
inline constexpr int kMaxBodyDepth = 8;

// Reads `body` into `out`. Fields: text (string, required), title (string),
// limit and snippet_length (integers >= 0), before (string), lang (en, zh or
// auto), source (a string, comma-separated, or an array of strings),
// collapse (duplicates or none); null is the same as absent. Unknown fields,
// malformed JSON, invalid UTF-8 and nesting past kMaxBodyDepth are errors.
// The values' ranges are the engine's to check (Engine::RelatedToText).
bool ParseDraftBody(std::string_view body, tongwen::DraftRequest* out, BodyError* err);

// Whether a Content-Type names JSON in UTF-8 (application/json, with no
// charset or charset=utf-8, any case).
bool IsJsonContentType(std::string_view content_type);

}  // namespace searchd
