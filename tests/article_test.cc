// The JSONL ingest format: ParseArticle and its date/language helpers.
#include "tongwen/article.h"

#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tongwen/analysis.h"

using tongwen::Article;
using tongwen::Code;
using tongwen::IngestLimits;
using tongwen::ParseArticle;
using tongwen::Version;

namespace {

// An article line with the given extra members after id and an English title.
std::string Line(const std::string& extra = "") {
  return R"({"id":"a1","title":{"en":"Title"})" + (extra.empty() ? "" : "," + extra) + "}";
}

std::vector<std::string> Tags(const Article& a) {
  std::vector<std::string> out;
  for (const Version& v : a.versions) out.push_back(v.tag);
  return out;
}

}  // namespace

TEST_CASE("ParseArticle: a complete article", "[article]") {
  const std::string line =
      R"({"id":"cna-2024-0001","source":"cna","section":"politics","published":"2024-01-13",)"
      R"("url":"https://example.com/a","original_language":"zh-Hant",)"
      R"("title":{"zh-Hant":"賴清德當選總統","en":"Lai wins presidency"},)"
      R"("body":{"zh-Hant":"第一段\n第二段","en":"First.\nSecond."}})";
  bool truncated = true;
  auto r = ParseArticle(line, {}, &truncated);
  REQUIRE(r.ok());
  const Article& a = r.value();
  CHECK_FALSE(truncated);
  CHECK(a.id == "cna-2024-0001");
  CHECK(a.source == "cna");
  CHECK(a.section == "politics");
  CHECK(a.published == "2024-01-13");
  CHECK(a.url == "https://example.com/a");
  CHECK(a.original_language == "zh");  // reduced to the base language
  REQUIRE(a.versions.size() == 2);
  CHECK(a.Languages() == std::vector<std::string>{"en", "zh"});

  const Version* zh = a.Find("zh-Hant");
  REQUIRE(zh != nullptr);
  CHECK(zh->tag == "zh-Hant");
  CHECK(zh->lang == "zh");
  CHECK(zh->title == "賴清德當選總統");
  CHECK(zh->body == "第一段\n第二段");  // JSON escapes decoded
  const Version* en = a.Find("en");
  REQUIRE(en != nullptr);
  CHECK(en->lang == "en");
  CHECK(en->title == "Lai wins presidency");
  CHECK(en->body == "First.\nSecond.");
  CHECK(a.Find("zh") == nullptr);  // Find matches the tag exactly
  CHECK(a.Find("fr") == nullptr);

  // The stored JSON is the same object, re-serialised.
  auto j = nlohmann::json::parse(a.json);
  CHECK(j == nlohmann::json::parse(line));
  CHECK(a.json.find('\n') == std::string::npos);  // compact: one line
}

TEST_CASE("ParseArticle: versions, languages and optional fields", "[article]") {
  SECTION("title and body of the same tag form one version; title-only and body-only tags too") {
    auto r = ParseArticle(R"({"id":"x","title":{"en":"T","zh":"标题"},"body":{"en":"B","ja":"本文"}})");
    REQUIRE(r.ok());
    REQUIRE(r->versions.size() == 3);
    const Version* en = r->Find("en");
    REQUIRE(en);
    CHECK(en->title == "T");
    CHECK(en->body == "B");
    REQUIRE(r->Find("zh"));
    CHECK(r->Find("zh")->body.empty());
    REQUIRE(r->Find("ja"));
    CHECK(r->Find("ja")->title.empty());
    CHECK(r->Find("ja")->lang == "ja");  // other languages are kept as given
    CHECK(r->Languages() == std::vector<std::string>{"en", "ja", "zh"});
  }
  SECTION("Languages() is sorted, without duplicates, and skips empty versions") {
    auto r = ParseArticle(
        R"({"id":"x","title":{"zh-Hant":"國","zh-Hans":"国","fr":"","EN":"x"},"body":{"fr":""}})");
    REQUIRE(r.ok());
    CHECK(r->versions.size() == 4);
    CHECK(r->Languages() == std::vector<std::string>{"en", "zh"});
    REQUIRE(r->Find("EN"));
    CHECK(r->Find("EN")->lang == "en");
  }
  SECTION("null optional fields are the same as absent ones") {
    auto r = ParseArticle(
        R"({"id":"x","source":null,"section":null,"published":null,"url":null,"original_language":null,)"
        R"("title":{"en":"x","zh":null},"body":null})");
    REQUIRE(r.ok());
    CHECK(r->source.empty());
    CHECK(r->section.empty());
    CHECK(r->published.empty());
    CHECK(r->url.empty());
    CHECK(r->original_language.empty());
    CHECK(Tags(r.value()) == std::vector<std::string>{"en"});
  }
  SECTION("an empty published string counts as absent") {
    auto r = ParseArticle(Line(R"("published":"")"));
    REQUIRE(r.ok());
    CHECK(r->published.empty());
  }
  SECTION("unknown fields are kept in the stored JSON") {
    auto r = ParseArticle(Line(R"("tags":["a","b"],"extra":{"k":[1,2,{"deep":true}]},"score":0.5)"));
    REQUIRE(r.ok());
    auto j = nlohmann::json::parse(r->json);
    CHECK(j["tags"] == nlohmann::json({"a", "b"}));
    CHECK(j["extra"]["k"][2]["deep"] == true);
    CHECK(j["score"] == 0.5);
    CHECK(j["id"] == "a1");
  }
  SECTION("brackets inside strings do not count as nesting") {
    const std::string deep_text(200, '[');
    auto r = ParseArticle(R"({"id":"x","title":{"en":")" + deep_text + R"(\"{{{{"}})");
    REQUIRE(r.ok());
    CHECK(r->Find("en")->title == deep_text + "\"{{{{");
  }
}

// Article::versions is documented as "in input order", but nlohmann::json's
// default object type sorts keys, so {"zh-Hant":...,"en":...} comes back as
// [en, zh-Hant] (and the stored JSON is re-ordered alphabetically too).
TEST_CASE("ParseArticle: versions keep the input order", "[article][regression]") {
  auto r = ParseArticle(R"({"id":"x","title":{"zh-Hant":"標題","en":"Title","de":"Titel"}})");
  REQUIRE(r.ok());
  CHECK(Tags(r.value()) == std::vector<std::string>{"zh-Hant", "en", "de"});
}

TEST_CASE("ParseArticle: every kind of bad line is rejected with a reason", "[article][errors]") {
  struct Bad {
    std::string line;
    std::string reason;  // must occur in the message
  };
  const std::vector<Bad> rows = {
      {"", "invalid JSON"},
      {"not json", "invalid JSON"},
      {R"({"id":"a1","title":{"en":"x"})", "invalid JSON"},  // unterminated
      {Line() + " trailing", "invalid JSON"},                // garbage after the object
      {R"({"id":"a1",,"title":{"en":"x"}})", "invalid JSON"},
      {std::string(R"({"id":"a1","title":{"en":"a)") + '\0' + R"(b"}})", "invalid JSON"},  // raw NUL byte
      {"[1,2]", "expected a JSON object, got array"},
      {R"("a string")", "expected a JSON object, got string"},
      {"42", "expected a JSON object"},
      {"null", "expected a JSON object"},
      {R"({"title":{"en":"x"}})", "missing 'id'"},
      {R"({"id":null,"title":{"en":"x"}})", "missing 'id'"},
      {R"({"id":5,"title":{"en":"x"}})", "'id' must be a string, got number"},
      {R"({"id":["a"],"title":{"en":"x"}})", "'id' must be a string, got array"},
      {R"({"id":"","title":{"en":"x"}})", "'id' is empty"},
      {R"({"id":"a\nb","title":{"en":"x"}})", "'id' contains a control character"},
      {R"({"id":")" + std::string(201, 'x') + R"(","title":{"en":"x"}})", "'id' is longer than 200 bytes"},
      {Line(R"("source":5)"), "field 'source' must be a string or null, got number"},
      {Line(R"("section":[])"), "field 'section' must be a string"},
      {Line(R"("url":{})"), "field 'url' must be a string"},
      {Line(R"("published":20240101)"), "field 'published' must be a string"},
      {Line(R"("original_language":true)"), "field 'original_language' must be a string"},
      {Line(R"("source":"cna\u0000")"), "field 'source' contains a NUL character"},
      {R"({"id":"a1","title":"x"})", "'title' must be an object of language -> text, got string"},
      {R"({"id":"a1","title":{"en":"x"},"body":[1]})", "'body' must be an object"},
      {R"({"id":"a1","title":{"en":5}})", "'title.en' must be a string, got number"},
      {R"({"id":"a1","title":{"en":{"text":"x"}}})", "'title.en' must be a string, got object"},
      {R"({"id":"a1","title":{"":"x"}})", "'title' has an empty language tag"},
      {R"({"id":"a1","title":{"en":"a\u0000b"}})", "'title.en' contains a NUL character"},
      {R"({"id":"a1","body":{"zh":"\u0000"}})", "'body.zh' contains a NUL character"},
      {"{\"id\":\"a1\",\"title\":{\"en\":\"caf\xE9\"}}", "invalid UTF-8"},      // Latin-1 byte
      {"{\"id\":\"\xED\xA0\x80\",\"title\":{\"en\":\"x\"}}", "invalid UTF-8"},  // encoded surrogate
      {"{\"id\":\"a1\",\"title\":{\"en\":\"\xE5\x9C\"}}", "invalid UTF-8"},     // cut sequence
      {Line(R"("published":"2024-02-30")"), "'published' must be YYYY-MM-DD, got \"2024-02-30\""},
      {Line(R"("published":"2024/01/01")"), "'published' must be YYYY-MM-DD"},
      {Line(R"("published":"2024-01-13T08:00:00Z")"), "'published' must be YYYY-MM-DD"},
      {Line(R"("published":"2023-02-29")"), "'published' must be YYYY-MM-DD"},
      {R"({"id":"a1"})", "article has no title or body text"},
      {R"({"id":"a1","title":null,"body":{}})", "article has no title or body text"},
      {R"({"id":"a1","title":{"en":null}})", "article has no title or body text"},
  };
  for (const Bad& b : rows) {
    INFO("line: " << b.line);
    bool truncated = true;
    auto r = ParseArticle(b.line, {}, &truncated);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(b.reason));
    CHECK_FALSE(truncated);
  }
}

TEST_CASE("ParseArticle: nesting limit", "[article][limits]") {
  auto nested = [](int k) {  // the top-level object is depth 1, so this is depth k+1
    return Line(R"("x":)" + std::string(k, '[') + std::string(k, ']'));
  };
  IngestLimits lim;  // max_depth 32
  CHECK(ParseArticle(nested(31), lim).ok());
  auto r = ParseArticle(nested(32), lim);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("nested deeper than 32"));

  lim.max_depth = 4;
  CHECK(ParseArticle(nested(3), lim).ok());
  CHECK(ParseArticle(R"({"id":"a","title":{"en":"x"},"x":{"a":{"b":{"c":1}}}})", lim).ok());  // depth 4
  CHECK_FALSE(ParseArticle(nested(4), lim).ok());
  CHECK_FALSE(
      ParseArticle(R"({"id":"a","title":{"en":"x"},"x":{"a":{"b":{"c":{}}}}})", lim).ok());  // depth 5

  // A hostile line is rejected without recursing into it.
  const std::string hostile = "{\"id\":\"a\",\"x\":" + std::string(1000000, '[');
  auto h = ParseArticle(hostile);
  REQUIRE_FALSE(h.ok());
  CHECK_THAT(h.status().message(), Catch::Contains("nested deeper"));
}

TEST_CASE("ParseArticle: line length limit", "[article][limits]") {
  IngestLimits lim;
  const std::string base = Line();
  const std::string padded = Line(R"("pad":")" + std::string(100, 'p') + "\"");
  lim.max_line_bytes = padded.size();
  CHECK(ParseArticle(padded, lim).ok());  // exactly at the limit
  lim.max_line_bytes = padded.size() - 1;
  auto r = ParseArticle(padded, lim);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains(std::to_string(padded.size()) + " bytes"));
  CHECK_THAT(r.status().message(), Catch::Contains("limit of " + std::to_string(padded.size() - 1)));
  CHECK(ParseArticle(base, lim).ok());
}

TEST_CASE("ParseArticle: long fields are truncated on a UTF-8 boundary", "[article][limits]") {
  IngestLimits lim;
  lim.max_field_bytes = 10;
  struct Case {
    std::string text, want;
  };
  const std::vector<Case> rows = {
      {"abcdefghijklmno", "abcdefghij"},
      {"一二三四五", "一二三"},  // 15 bytes -> 9, not 10
      {"ab一二三四", "ab一二"},  // 14 bytes -> 8
      {"\xF0\x9F\x8D\x9C\xF0\x9F\x8D\x9C\xF0\x9F\x8D\x9C", "\xF0\x9F\x8D\x9C\xF0\x9F\x8D\x9C"},  // 🍜x3 -> 🍜x2
      {"123456789一", "123456789"},
  };
  for (const Case& c : rows) {
    INFO("text: " << c.text);
    bool truncated = false;
    auto r = ParseArticle(R"({"id":"t","title":{"zh":")" + c.text + R"("},"body":{"zh":")" + c.text + "\"}}",
                          lim, &truncated);
    REQUIRE(r.ok());
    CHECK(truncated);
    const Version* v = r->Find("zh");
    REQUIRE(v);
    CHECK(v->title == c.want);
    CHECK(v->body == c.want);
    CHECK(tongwen::IsValidUtf8(v->title));
    // The stored copy is truncated too.
    auto j = nlohmann::json::parse(r->json);
    CHECK(j["title"]["zh"] == c.want);
    CHECK(j["body"]["zh"] == c.want);
  }

  SECTION("a field exactly at the limit is kept whole") {
    bool truncated = true;
    auto r = ParseArticle(R"({"id":"t","title":{"en":"0123456789"}})", lim, &truncated);
    REQUIRE(r.ok());
    CHECK_FALSE(truncated);
    CHECK(r->Find("en")->title == "0123456789");
  }
  SECTION("the flag is optional") {
    auto r = ParseArticle(R"({"id":"t","title":{"en":"0123456789abc"}})", lim, nullptr);
    REQUIRE(r.ok());
    CHECK(r->Find("en")->title == "0123456789");
  }
  SECTION("only title/body are truncated, not the metadata") {
    const std::string url = "https://example.com/" + std::string(50, 'u');
    auto r = ParseArticle(R"({"id":"t","url":")" + url + R"(","title":{"en":"x"}})", lim);
    REQUIRE(r.ok());
    CHECK(r->url == url);
  }
}

TEST_CASE("BaseLanguage reduces a BCP 47 tag to its lower-case base", "[article]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"zh-Hant", "zh"}, {"zh-Hans", "zh"}, {"zh", "zh"}, {"en-GB", "en"}, {"EN_us", "en"},
      {"ZH-TW", "zh"},   {"ja", "ja"},      {"", ""},     {"-x", ""},
  };
  for (const auto& [tag, want] : rows) {
    INFO(tag);
    CHECK(tongwen::BaseLanguage(tag) == want);
  }
}

TEST_CASE("IsValidDate accepts real calendar dates only", "[article][dates]") {
  for (const char* d : {"2024-01-13", "2024-02-29", "2000-02-29", "1970-01-01", "1000-01-01", "9999-12-31",
                        "2023-04-30", "2023-12-31"}) {
    INFO(d);
    CHECK(tongwen::IsValidDate(d));
  }
  for (const char* d :
       {"2024-02-30", "2023-02-29",  "1900-02-29",  "2100-02-29", "2024-04-31", "2024-13-01",
        "2024-00-10", "2024-01-00",  "2024-12-32",  "0999-12-31", "2024/01/01", "2024-1-01",
        "24-01-01",   "2024-01-01 ", " 2024-01-01", "2024-01-0a", "+024-01-01", "2024-01-01T00:00",
        "",           "yyyy-mm-dd"}) {
    INFO(d);
    CHECK_FALSE(tongwen::IsValidDate(d));
  }
}

TEST_CASE("DayNumber counts days since 1970-01-01", "[article][dates]") {
  const std::vector<std::pair<std::string, long>> rows = {
      {"1970-01-01", 0},     {"1970-01-02", 1},       {"1969-12-31", -1},      {"2000-01-01", 10957},
      {"2000-02-29", 11016}, {"2000-03-01", 11017},   {"2024-01-01", 19723},   {"2024-02-29", 19782},
      {"2038-01-19", 24855}, {"1000-01-01", -354285}, {"9999-12-31", 2932896},
  };
  for (const auto& [d, n] : rows) {
    INFO(d);
    CHECK(tongwen::DayNumber(d) == n);
  }

  // Every valid date of 1899..2101 is exactly one day after the previous one.
  char buf[16];
  long prev = tongwen::DayNumber("1898-12-31");
  int days_in_2000 = 0, days_in_1900 = 0;
  for (int y = 1899; y <= 2101; ++y)
    for (int m = 1; m <= 12; ++m)
      for (int d = 1; d <= 31; ++d) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        if (!tongwen::IsValidDate(buf)) continue;
        const long n = tongwen::DayNumber(buf);
        if (n != prev + 1) FAIL("DayNumber(" << buf << ") = " << n << ", previous day was " << prev);
        prev = n;
        days_in_2000 += y == 2000;
        days_in_1900 += y == 1900;
      }
  CHECK(days_in_2000 == 366);
  CHECK(days_in_1900 == 365);
  CHECK(prev == tongwen::DayNumber("2101-12-31"));
}
