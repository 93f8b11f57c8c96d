// Issue 24, prefix=last: the last word of a query typed without a trailing
// space also matches as a prefix, over the index's English stems, capped
// (suggest/prefix.h), and the response says what it expanded to.
#include "suggest/prefix.h"

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

namespace {

std::string Article(const std::string& id, const std::string& title, const std::string& body) {
  return json{{"id", id}, {"title", {{"en", title}}}, {"body", {{"en", body}}}}.dump();
}

std::vector<std::string> Fixture() {
  std::vector<std::string> a;
  for (int i = 0; i < 3; ++i)
    a.push_back(Article("tw-" + std::to_string(i), "Taiwan election", "Taiwan votes."));
  a.push_back(Article("tp-1", "Taipei traffic", "Taipei roads are busy."));
  a.push_back(Article("tc-1", "Taichung port", "The port of Taichung."));
  a.push_back(Article("zh-1", "Chinese only", "Nothing about the island."));
  return a;
}

std::unique_ptr<Engine> OpenEngine(const std::string& db) {
  tongwen::EngineOptions eo;
  eo.db_dir = db;
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

SearchResponse Search(const std::string& q, SearchRequest::Prefix prefix = SearchRequest::Prefix::kLast) {
  SearchRequest r;
  r.q = q;
  r.prefix = prefix;
  auto resp = Fixed().engine->Search(r);
  REQUIRE(resp.ok());
  return std::move(resp).value();
}

}  // namespace

TEST_CASE("issue 24: prefix=last expands the unfinished last word", "[prefix][issue24]") {
  SearchResponse r = Search("Tai");
  CHECK(r.query.prefix_word == "Tai");
  // The most frequent stems first.
  CHECK(r.query.prefix_expanded == std::vector<std::string>{"taiwan", "taichung", "taipei"});
  CHECK(r.total == 5);
  CHECK(r.query.suggestion.empty());  // an unfinished word is not "misspelt"
  SECTION("with the words before it, all must match") {
    SearchResponse e = Search("election Taiw");
    CHECK(e.total == 3);
    CHECK(e.query.prefix_expanded == std::vector<std::string>{"taiwan"});
  }
}

TEST_CASE("issue 24: prefix=last leaves alone what is not an unfinished English word", "[prefix][issue24]") {
  CHECK(Search("Tai", SearchRequest::Prefix::kNone).query.prefix_word.empty());  // the API's default
  CHECK(Search("Taiwan ").query.prefix_word.empty());                            // a trailing space
  CHECK(Search("Ta").query.prefix_word.empty());                                 // too short
  CHECK(Search("\"port of Tai").query.prefix_word.empty());                      // in a phrase
  CHECK(Search("port -Tai").query.prefix_word.empty());                          // excluded
  CHECK(Search("title:Tai").query.prefix_word.empty());                          // a field name's word
  CHECK(Search("台灣").query.prefix_word.empty());                               // Han text
  CHECK(Search("qqq").query.prefix_word.empty());                                // nothing begins so
}

TEST_CASE("issue 24: the expansion is capped", "[prefix][issue24]") {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  for (int i = 0; i < 20; ++i) {
    Xapian::Document d;
    d.add_term("Zword" + std::string(1, static_cast<char>('a' + i)));
    db.add_document(d);
  }
  tongwen::PrefixExpansion px = tongwen::ExpandLastWord(db, "wor");
  CHECK(px.expanded.size() == tongwen::kMaxPrefixExpansions);
  CHECK(px.query.rfind("(wor OR worda OR ", 0) == 0);
  db.close();
  CHECK_THROWS_AS(tongwen::ExpandLastWord(db, "wor"), Xapian::DatabaseClosedError);
}

TEST_CASE("issue 24: searchd takes prefix=last and says what it expanded to", "[prefix][issue24][http]") {
  testutil::Searchd sd(Fixed().db);
  REQUIRE(sd.ok());
  std::string body;
  REQUIRE(sd.Get("/search?prefix=last&q=Taic", &body) == 200);
  json j = json::parse(body);
  CHECK(j["query"]["prefix"]["word"] == "Taic");
  CHECK(j["query"]["prefix"]["expanded"] == json::array({"taichung"}));
  CHECK(j["total"] == 1);
  REQUIRE(sd.Get("/search?q=Taic", &body) == 200);
  CHECK_FALSE(json::parse(body)["query"].contains("prefix"));
  REQUIRE(sd.Get("/search?prefix=first&q=Taic", &body) == 400);
  CHECK(json::parse(body)["error"]["parameter"] == "prefix");
}
