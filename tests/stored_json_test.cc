// ReadStoredHitFields: the hit fields read from stored article JSON agree
// with a full JSON parse, and anything that is not one JSON object is refused.
#include "store/stored_json.h"

#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tongwen/analysis.h"
#include "tongwen/article.h"

using json = nlohmann::ordered_json;
using tongwen::ReadStoredHitFields;
using tongwen::StoredHitFields;

namespace {

// The reference: the same fields through nlohmann's parser.
StoredHitFields Reference(const std::string& text) {
  StoredHitFields f;
  json j = json::parse(text);
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  f.id = str("id");
  f.published = str("published");
  f.source = str("source");
  f.section = str("section");
  f.url = str("url");
  f.original_language = str("original_language");
  for (const char* field : {"title", "body"}) {
    auto obj = j.find(field);
    if (obj == j.end() || !obj->is_object()) continue;
    for (auto& [tag, v] : obj->items()) {
      if (!v.is_string()) continue;
      tongwen::StoredVersionText* x = nullptr;
      for (auto& e : f.versions)
        if (e.tag == tag) x = &e;
      if (!x) {
        f.versions.push_back({tag, {}, {}});
        x = &f.versions.back();
      }
      (std::string(field) == "title" ? x->title : x->body) = v.get<std::string>();
    }
  }
  return f;
}

std::string Dump(const StoredHitFields& f) {
  std::string s =
      f.id + "|" + f.published + "|" + f.source + "|" + f.section + "|" + f.url + "|" + f.original_language;
  for (const auto& v : f.versions) s += "\n[" + v.tag + "] " + v.title + " / " + v.body;
  return s;
}

void CheckAgrees(const std::string& text) {
  INFO(text);
  StoredHitFields got;
  REQUIRE(ReadStoredHitFields(text, &got));
  CHECK(Dump(got) == Dump(Reference(text)));
}

}  // namespace

TEST_CASE("ReadStoredHitFields agrees with a full parse", "[stored_json]") {
  const char* rows[] = {
      // a stored article as the indexer writes it
      R"({"id":"a-1","source":"Liberty Times","section":"politics","published":"2024-01-02","url":null,)"
      R"("original_language":"zh-Hant","title":{"zh-Hant":"國防預算","en":"Defence budget"},)"
      R"("body":{"zh-Hant":"立法院\n三讀","en":"The \"budget\" passed.\\n"}})",
      // bodies without titles, a tag only in body, non-string values skipped
      R"({"id":"b","title":{"en":null,"zh":"标题"},"body":{"en":"only body","zh":5,"fr":"x"}})",
      // other members of every JSON kind are skipped
      R"({"tags":["a",{"b":[1,2.5e-3,-7,true,false,null]}],"id":"c","n":-0.5E+2,"x":{},"y":[],)"
      R"("title":{},"body":null})",
      // escapes: \/ \b \f \r \t, \u escapes in the BMP and as a surrogate pair, whitespace
      " { \"id\" : \"d\\/e\" ,\n\t\"title\" : { \"en\" : \"\\b\\f\\r\\t\\u00e9\\u4E2D\\ud83d\\ude00\" } } ",
      // non-string scalar fields read as empty
      R"({"id":7,"source":["x"],"published":{"y":1},"title":"not an object"})",
      R"({})",
  };
  for (const char* row : rows) CheckAgrees(row);
}

TEST_CASE("ReadStoredHitFields refuses what is not one JSON object", "[stored_json][errors]") {
  const char* rows[] = {
      "",
      "[]",
      "\"text\"",
      "{",
      R"({"id":"a")",
      R"({"id":"a",})",
      R"({"id" "a"})",
      R"({"id":"a"} x)",
      R"({"id":"a\q"})",           // unknown escape
      R"({"id":"\u12"})",          // short \u escape
      R"({"id":"\udc00"})",        // lone low surrogate
      R"({"id":"\ud800x"})",       // high surrogate without its pair
      "{\"id\":\"a\tb\"}",         // raw control character in a string
      R"({"x":tru})",              // bad literal
      R"({"x":-})",                // bad number
      R"({"x":1.})",               // bad number
      R"({"title":{"en":"a",}})",  // trailing comma
      R"({"x":[1,2})",             // unclosed array
  };
  for (const char* row : rows) {
    INFO(row);
    StoredHitFields f;
    CHECK_FALSE(ReadStoredHitFields(row, &f));
  }
  // Nesting deeper than the indexer accepts is refused, not recursed into.
  std::string deep = "{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  StoredHitFields f;
  CHECK_FALSE(ReadStoredHitFields(deep, &f));
}

TEST_CASE("ReadStoredHitFields reads what ParseArticle stores, for random text", "[stored_json][property]") {
  // Random titles and bodies from a mix of ASCII (with quotes, backslashes and
  // control characters), Han, accented Latin and astral characters, stored
  // the way the indexer stores them (ParseArticle's re-serialisation).
  std::mt19937 rng(20261126);
  const char32_t pool[] = {U'a',    U'Z', U' ',  U'"',  U'\\', U'/', U'\n', U'\t', U'\x01',
                           U'\x1f', U'é', U'中', U'國', U'，', U'😀', U'𠀀', U'<',  U'&'};
  auto random_text = [&](size_t max_len) {
    std::u32string u;
    const size_t n = rng() % (max_len + 1);
    for (size_t i = 0; i < n; ++i) u.push_back(pool[rng() % std::size(pool)]);
    std::string s;
    for (char32_t c : u) tongwen::AppendUtf8(c, &s);
    return s;
  };
  for (int round = 0; round < 500; ++round) {
    json in = {{"id", "r-" + std::to_string(round)}, {"published", "2020-05-06"}, {"source", random_text(8)}};
    if (rng() % 2) in["section"] = random_text(6);
    if (rng() % 2) in["url"] = nullptr;
    in["original_language"] = "en";
    json title = json::object(), body = json::object();
    if (rng() % 4) title["en"] = random_text(20);
    if (rng() % 4) title["zh-Hant"] = random_text(20);
    body["en"] = random_text(200);
    if (rng() % 2) body["zh-Hans"] = random_text(200);
    if (title.empty()) title["en"] = "t";
    in["title"] = title;
    in["body"] = body;
    if (rng() % 3 == 0) in["extra"] = {{"list", {1, "two", nullptr, 3.5}}};
    auto parsed = tongwen::ParseArticle(in.dump());
    REQUIRE(parsed.ok());
    CheckAgrees(parsed->json);
  }
}
