// Issue 25: Engine::RelatedToText, prior coverage of a draft that is not in
// the archive, on the engine fixture (tests/data/engine_fixture.jsonl) with
// the small dictionary.
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "search/related_query.h"
#include "test_util.h"

#include "tongwen/engine.h"
#include "tongwen/index.h"

using nlohmann::json;
using tongwen::Code;
using tongwen::DraftRequest;
using tongwen::Engine;

namespace {

struct Fixture {
  testutil::TempDir dir;
  std::unique_ptr<Engine> engine;
  std::map<std::string, json> articles;

  Fixture() {
    tongwen::IngestOptions io;
    io.db_dir = dir / "db";
    io.lexicon = &testutil::MiniLexicon();
    io.threads = 1;
    tongwen::IngestReport report;
    tongwen::Status s = tongwen::Rebuild(io, {testutil::DataPath("engine_fixture.jsonl")}, &report);
    if (!s.ok()) throw std::runtime_error("rebuild failed: " + s.ToString());
    tongwen::EngineOptions eo;
    eo.db_dir = io.db_dir;
    eo.lexicon = &testutil::MiniLexicon();
    auto e = Engine::Open(eo);
    if (!e.ok()) throw std::runtime_error("open failed: " + e.status().ToString());
    engine = std::move(e).value();
    std::ifstream in(testutil::DataPath("engine_fixture.jsonl"));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) {
        json j = json::parse(line);
        articles[j["id"]] = j;
      }
  }
};

Fixture& Fx() {
  static Fixture f;
  return f;
}

std::string Body(const std::string& id, const std::string& tag) { return Fx().articles.at(id)["body"][tag]; }

tongwen::SearchResponse Related(DraftRequest d) {
  auto r = Fx().engine->RelatedToText(d);
  INFO((r.ok() ? std::string() : r.status().ToString()));
  REQUIRE(r.ok());
  return *r;
}

std::vector<std::string> Ids(const tongwen::SearchResponse& r) {
  std::vector<std::string> ids;
  for (const auto& h : r.hits) ids.push_back(h.id);
  return ids;
}

}  // namespace

TEST_CASE("issue 25: a draft's paragraphs go to the version of the script they are written in",
          "[related_text][issue25]") {
  const tongwen::Article a = tongwen::DraftArticle(
      "颱風逼近", "A typhoon (颱風) nears Taiwan.\n氣象署發布颱風警報 (CWA)。\n\n  \nRain is expected.");
  REQUIRE(a.versions.size() == 2);
  CHECK(a.versions[0].lang == "en");
  CHECK(a.versions[0].title.empty());
  CHECK(a.versions[0].body == "A typhoon (颱風) nears Taiwan.\nRain is expected.");
  CHECK(a.versions[1].lang == "zh");
  CHECK(a.versions[1].title == "颱風逼近");
  CHECK(a.versions[1].body == "氣象署發布颱風警報 (CWA)。");
  CHECK(a.Languages() == std::vector<std::string>{"en", "zh"});
  CHECK(tongwen::DraftArticle("", "only English here").versions.size() == 1);
}

TEST_CASE("issue 25: a draft of an article's text ranks it first, with Related's terms",
          "[related_text][issue25]") {
  const std::string id = "fx-quake-2024-en";
  DraftRequest d;
  d.text = Body(id, "en");
  d.title = Fx().articles.at(id)["title"]["en"];
  const tongwen::SearchResponse r = Related(d);
  REQUIRE(!r.hits.empty());
  CHECK(r.hits[0].id == id);
  CHECK(r.hits[0].matched_via == "original");
  CHECK(r.query.mode == "related");
  CHECK(r.query.detected_language == "en");
  // The draft's terms are chosen as the article's are for /articles/{id}/related
  // (only the frequencies differ by the draft itself).
  auto by_id = Fx().engine->Related(id, 10, "");
  REQUIRE(by_id.ok());
  std::set<std::string> mine, theirs;
  for (const auto& w : r.query.words) mine.insert(w.text);
  for (const auto& w : by_id->query.words) theirs.insert(w.text);
  size_t shared = 0;
  for (const std::string& w : mine) shared += theirs.count(w);
  CHECK(shared * 10 >= theirs.size() * 8);
}

TEST_CASE("issue 25: an English draft finds the Chinese-only story, matched through translation",
          "[related_text][issue25]") {
  DraftRequest d;
  d.text = Body("fx-quake-2024-en", "en");
  d.before = "2024-01-01";  // the prior coverage: the 2023 Chinese report
  const tongwen::SearchResponse r = Related(d);
  REQUIRE(!r.hits.empty());
  CHECK(r.hits[0].id == "fx-quake-2023-zh");
  CHECK(r.hits[0].matched_via == "translation");
  bool translated = false;
  for (const auto& w : r.query.words) translated = translated || !w.translations.empty();
  CHECK(translated);
}

TEST_CASE("issue 25: RelatedToText refuses bad drafts, naming the field", "[related_text][issue25]") {
  auto refused = [](DraftRequest d, const std::string& field) {
    auto r = Fx().engine->RelatedToText(d);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().where() == field);
  };
  DraftRequest d;
  refused(d, "text");
  d.text = " \n\t";
  refused(d, "text");
  d.text = "，。！？ ... --- !!!";
  refused(d, "text");
  d.text = std::string(tongwen::kMaxDraftBytes + 1, 'a');
  refused(d, "text");
  d.text = "earthquake";
  d.title = std::string(tongwen::kMaxDraftBytes + 1, 'a');
  refused(d, "title");
  d.title.clear();
  d.limit = 101;
  refused(d, "limit");
  d.limit = 10;
  d.before = "2024-02-30";
  refused(d, "before");
  d.before.clear();
  d.lang = "fr";
  refused(d, "lang");
  d.lang.clear();
  d.sources.assign(101, "x");
  for (size_t i = 0; i < d.sources.size(); ++i) d.sources[i] += std::to_string(i);
  refused(d, "source");
  d.sources.clear();
  d.snippet_length = 5;
  refused(d, "snippet_length");
}

TEST_CASE("issue 25: RelatedToText filters by language and source, and folds duplicates",
          "[related_text][issue25]") {
  DraftRequest d;
  d.text = Body("fx-chip-exports-wire", "en");
  d.limit = 20;
  const tongwen::SearchResponse all = Related(d);
  const auto ids = Ids(all);
  CHECK(std::count(ids.begin(), ids.end(), "fx-chip-exports-wire") == 1);
  CHECK(std::count(ids.begin(), ids.end(), "fx-chip-exports-repost") == 1);
  d.collapse_duplicates = true;
  const tongwen::SearchResponse folded = Related(d);
  const auto fids = Ids(folded);
  CHECK(std::count(fids.begin(), fids.end(), "fx-chip-exports-wire") +
            std::count(fids.begin(), fids.end(), "fx-chip-exports-repost") ==
        1);
  CHECK(folded.hits[0].duplicates == 1);
  d.collapse_duplicates = false;
  d.lang = "zh";
  for (const auto& h : Related(d).hits) {
    bool zh = false;
    for (const auto& [tag, t] : h.titles) zh = zh || tag.rfind("zh", 0) == 0;
    CHECK(zh);
  }
  d.lang.clear();
  d.sources = {"formosa daily"};
  for (const auto& h : Related(d).hits) CHECK(h.source == "Formosa Daily");
}
