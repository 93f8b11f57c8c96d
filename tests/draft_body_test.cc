// Issue 25: the body of POST /related (searchd/draft_body.cc), read alone.
#include "draft_body.h"

#include <string>

#include <catch2/catch.hpp>

using searchd::BodyError;
using searchd::ParseDraftBody;

namespace {

BodyError Refused(const std::string& body) {
  tongwen::DraftRequest d;
  BodyError e;
  const bool ok = ParseDraftBody(body, &d, &e);
  CHECK(!ok);
  CHECK(e.status == 400);
  return e;
}

}  // namespace

TEST_CASE("issue 25: a draft body with every field", "[draft_body][issue25]") {
  tongwen::DraftRequest d;
  BodyError e;
  REQUIRE(ParseDraftBody(R"({"text": "Typhoon 颱風\nline", "title": "T", "limit": 7, "before": "2024-01-02",
                             "lang": "zh", "source": ["Reuters", "cna,Reuters"], "collapse": "duplicates",
                             "snippet_length": 80})",
                         &d, &e));
  CHECK(d.text == "Typhoon 颱風\nline");
  CHECK(d.title == "T");
  CHECK(d.limit == 7);
  CHECK(d.before == "2024-01-02");
  CHECK(d.lang == "zh");
  CHECK(d.sources == std::vector<std::string>{"Reuters", "cna"});
  CHECK(d.collapse_duplicates);
  CHECK(d.snippet_length == 80);
}

TEST_CASE("issue 25: a draft body's defaults; null is absent; lang auto is no filter",
          "[draft_body][issue25]") {
  tongwen::DraftRequest d;
  BodyError e;
  REQUIRE(ParseDraftBody(R"( {"text": "x", "title": null, "limit": null, "lang": "auto", "source": "a"} )",
                         &d, &e));
  CHECK(d.limit == 10);
  CHECK(d.lang.empty());
  CHECK(d.sources == std::vector<std::string>{"a"});
  CHECK(!d.collapse_duplicates);
  CHECK(d.snippet_length == tongwen::kDefaultSnippetLength);
  REQUIRE(ParseDraftBody(R"({"text": "x", "collapse": "none"})", &d, &e));
  CHECK(!d.collapse_duplicates);
}

TEST_CASE("issue 25: draft bodies that are refused, and the field named", "[draft_body][issue25]") {
  CHECK(Refused("").code == "bad_request");
  CHECK(Refused(" \r\n").code == "bad_request");
  CHECK(Refused("{").code == "bad_request");
  CHECK(Refused("{\"text\": \"\xc3\x28\"}").code == "bad_request");  // invalid UTF-8
  CHECK(Refused("[1]").code == "bad_request");
  CHECK(Refused("null").code == "bad_request");
  CHECK(Refused("{\"text\": \"a\"} x").code == "bad_request");
  const BodyError deep = Refused(std::string(100000, '[') + std::string(100000, ']'));
  CHECK(deep.message.find("nested deeper than 8") != std::string::npos);
  // Brackets inside strings are not nesting.
  tongwen::DraftRequest d;
  BodyError e;
  CHECK(ParseDraftBody("{\"text\": \"" + std::string(50, '[') + "\\\"{{{{{{{{{{\"}", &d, &e));
  CHECK(Refused("{\"text\": {\"a\": [[[[[[[[1]]]]]]]]}}").message.find("nested") != std::string::npos);
  struct Row {
    std::string body, code, parameter;
  };
  const Row rows[] = {
      {R"({})", "missing_parameter", "text"},
      {R"({"text": null})", "missing_parameter", "text"},
      {R"({"text": 1})", "invalid_parameter", "text"},
      {R"({"text": "a", "title": 1})", "invalid_parameter", "title"},
      {R"({"text": "a", "limit": -1})", "invalid_parameter", "limit"},
      {R"({"text": "a", "limit": 1.5})", "invalid_parameter", "limit"},
      {R"({"text": "a", "limit": "3"})", "invalid_parameter", "limit"},
      {R"({"text": "a", "snippet_length": true})", "invalid_parameter", "snippet_length"},
      {R"({"text": "a", "before": 20240101})", "invalid_parameter", "before"},
      {R"({"text": "a", "lang": "fr"})", "invalid_parameter", "lang"},
      {R"({"text": "a", "source": [1]})", "invalid_parameter", "source"},
      {R"({"text": "a", "source": {"a": 1}})", "invalid_parameter", "source"},
      {R"({"text": "a", "collapse": true})", "invalid_parameter", "collapse"},
      {R"({"text": "a", "q": "b"})", "invalid_parameter", "q"},
  };
  for (const Row& r : rows) {
    INFO(r.body);
    const BodyError err = Refused(r.body);
    CHECK(err.code == r.code);
    CHECK(err.parameter == r.parameter);
    CHECK(err.message.rfind(r.parameter + ": ", 0) == 0);
  }
}

TEST_CASE("issue 25: the Content-Types POST /related takes", "[draft_body][issue25]") {
  for (const char* ok : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                         "application/json;charset=UTF-8", "application/json; charset=\"utf-8\""})
    CHECK(searchd::IsJsonContentType(ok));
  for (const char* bad : {"", "text/plain", "application/json; charset=latin1", "application/jsonx",
                          "application/x-www-form-urlencoded", "multipart/form-data"})
    CHECK(!searchd::IsJsonContentType(bad));
}
