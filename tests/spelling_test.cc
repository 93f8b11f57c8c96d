// Issue 24, "did you mean": misspelt English words and romanised names are
// corrected from the index's own vocabulary (suggest/spelling.h), and a
// query that matched nothing as typed shows the corrected query's results
// (search/did_you_mean.h).
#include "suggest/spelling.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <xapian.h>

#include "test_util.h"

#include "tongwen/engine.h"

using nlohmann::json;
using tongwen::Engine;
using tongwen::SearchRequest;
using tongwen::SearchResponse;
using tongwen::SpellingCorrector;

namespace {

std::string Article(const std::string& id, const std::string& lang, const std::string& title,
                    const std::string& body) {
  return json{{"id", id}, {"title", {{lang, title}}}, {"body", {{lang, body}}}}.dump();
}

// Taiwan and its election are frequent; "worded" more so than "worried",
// which only the article with "looking" holds; 半導體 only in Chinese.
std::vector<std::string> Fixture() {
  std::vector<std::string> a;
  for (int i = 0; i < 4; ++i)
    a.push_back(Article("tw-" + std::to_string(i), "en", "Taiwan election day " + std::to_string(i),
                        "Voters in Taiwan went to the polls in the election."));
  a.push_back(Article("leg-1", "en", "Legislative budget passes", "The legislative budget passed."));
  for (int i = 0; i < 3; ++i)
    a.push_back(Article("word-" + std::to_string(i), "en", "A carefully worded statement",
                        "The statement was worded with care."));
  a.push_back(Article("worry-1", "en", "Residents worried", "Residents were worried, looking at the river."));
  a.push_back(Article("tawny-1", "en", "Tawny owls return", "Tawny owls nest in the park."));
  a.push_back(Article("king-1", "en", "The king spoke", "The king spoke to the nation."));
  a.push_back(Article("chip-1", "zh-Hant", "半導體出口創新高", "今年半導體出口創新高。"));
  a.push_back(Article("taipei-1", "zh-Hant", "台灣選舉", "台灣選舉投票。"));
  return a;
}

std::unique_ptr<Engine> OpenEngine(const std::string& db) {
  tongwen::EngineOptions eo;
  eo.db_dir = db;
  eo.lexicon = &testutil::MiniLexicon();
  auto e = Engine::Open(eo);
  REQUIRE(e.ok());
  return std::move(e).value();
}

struct Fx {
  testutil::TempDir dir;
  std::string db = testutil::RebuildFrom(dir, Fixture());
  std::unique_ptr<Engine> engine = OpenEngine(db);
};

Fx& Fixed() {
  static Fx fx;
  return fx;
}

SearchResponse Search(const std::string& q, SearchRequest::Mode mode = SearchRequest::Mode::kAll) {
  SearchRequest r;
  r.q = q;
  r.mode = mode;
  auto resp = Fixed().engine->Search(r);
  REQUIRE(resp.ok());
  return std::move(resp).value();
}

}  // namespace

TEST_CASE("issue 24: a misspelt English word gets a suggestion", "[spelling][issue24]") {
  SECTION("a transposition, in the word's case") {
    CHECK(Search("Tawian election").query.suggestion == "Taiwan election");
    CHECK(Search("TAWIAN election").query.suggestion == "TAIWAN election");
  }
  SECTION("deletion, insertion, substitution") {
    CHECK(Search("legislatve budget").query.suggestion == "legislative budget");
    CHECK(Search("legislattive budget").query.suggestion == "legislative budget");
    CHECK(Search("legislative budgit").query.suggestion == "legislative budget");
  }
  SECTION("the rest of the query stays as typed, Chinese included") {
    CHECK(Search("\"Tawian\" 選舉").query.suggestion == "\"Taiwan\" 選舉");
    CHECK(Search("title:Tawian").query.suggestion == "title:Taiwan");
  }
}

TEST_CASE("issue 24: words the index or the dictionary knows are never corrected", "[spelling][issue24]") {
  CHECK(Search("Taiwan election").query.suggestion.empty());
  // tawny is one edit from nothing frequent, and held by one article: kept.
  CHECK(Search("tawny").query.suggestion.empty());
  // Not in the index, but a dictionary gloss: it translates, so it stands.
  CHECK(Search("semiconductor").query.suggestion.empty());
  // A pinyin syllable may be a romanised name, though "king" is one edit away.
  CHECK(Search("jing").query.suggestion.empty());
  CHECK(Search("kimg").query.suggestion == "king");
}

TEST_CASE("issue 24: Chinese, short words, operators and exclusions are not corrected",
          "[spelling][issue24]") {
  CHECK(Search("台灣選舉").query.suggestion.empty());
  CHECK(Search("臺彎選舉").query.suggestion.empty());
  CHECK(Search("Tai").query.suggestion.empty());
  CHECK(Search("election -Tawian").query.suggestion.empty());
  CHECK(Search("Tawian2024").query.suggestion.empty());
}

TEST_CASE("issue 24: the other words of the query choose among close spellings", "[spelling][issue24]") {
  // worded is the more frequent spelling one edit away; worried is the one
  // that makes "looking" match.
  CHECK(Search("woried looking").query.suggestion == "worried looking");
  CHECK(Search("woried").query.suggestion == "worded");
}

TEST_CASE("issue 24: a query that matched nothing shows the corrected query's results",
          "[spelling][issue24]") {
  SECTION("nothing matched every word: corrected") {
    SearchResponse r = Search("Tawian election");
    CHECK(r.query.corrected);
    REQUIRE(!r.hits.empty());
    for (const auto& h : r.hits) {
      CHECK((h.id.rfind("tw-", 0) == 0 || h.id == "taipei-1"));
      CHECK_FALSE(h.relaxed);
    }
  }
  SECTION("matches as typed: a suggestion only") {
    SearchResponse r = Search("Tawian election", SearchRequest::Mode::kAny);
    CHECK(r.query.suggestion == "Taiwan election");
    CHECK_FALSE(r.query.corrected);
  }
  SECTION("a misspelt word only the dictionary knows still translates") {
    SearchResponse r = Search("semiconductr");
    CHECK(r.query.suggestion == "semiconductor");
    CHECK(r.query.corrected);
    REQUIRE(!r.hits.empty());
    CHECK(r.hits.front().id == "chip-1");
  }
  SECTION("nothing close: the empty result as typed") {
    SearchResponse r = Search("qqqqzzzz");
    CHECK(r.query.suggestion.empty());
    CHECK_FALSE(r.query.corrected);
    CHECK(r.total == 0);
  }
}

TEST_CASE("issue 24: the corrector reports Xapian's errors to its caller", "[spelling][issue24]") {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  Xapian::Document d;
  d.add_term("Ztaiwan");
  db.add_document(d);
  SpellingCorrector sc(db, nullptr);
  CHECK(sc.CorrectQuery("tawian") == "taiwan");
  CHECK(sc.CorrectQuery("taiwan").empty());
  db.close();
  CHECK_THROWS_AS(sc.CorrectQuery("tawiann"), Xapian::DatabaseClosedError);
}

TEST_CASE("issue 24: searchd returns suggestion and corrected in query", "[spelling][issue24][http]") {
  testutil::Searchd sd(Fixed().db, {"--dictionary", testutil::DataPath("mini_cedict.u8")});
  REQUIRE(sd.ok());
  std::string body;
  REQUIRE(sd.Get("/search?q=" + testutil::UrlEncode("Tawian election"), &body) == 200);
  json j = json::parse(body);
  CHECK(j["query"]["suggestion"] == "Taiwan election");
  CHECK(j["query"]["corrected"] == true);
  REQUIRE(sd.Get("/search?q=election", &body) == 200);
  j = json::parse(body);
  CHECK_FALSE(j["query"].contains("suggestion"));
  CHECK_FALSE(j["query"].contains("corrected"));
}
