// Library-level tests of writing a database: Rebuild, Upsert, Delete, Stats,
// Verify, LiveGeneration and the generation/stub layout (tongwen/index.h).
#include "tongwen/index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <xapian.h>
#include <zdict.h>
#include <zstd.h>

#include "index/document_builder.h"
#include "index/simhash.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "schema/weighting.h"
#include "store/stored_article.h"
#include "test_util.h"

#include "tongwen/analysis.h"
#include "tongwen/article.h"
#include "tongwen/engine.h"

namespace fs = std::filesystem;
using nlohmann::json;
using testutil::DataPath;
using testutil::ReadFile;
using testutil::TempDir;
using testutil::WriteFile;
using tongwen::Code;

namespace {

struct Ingest {
  tongwen::IngestOptions opt;
  std::vector<std::string> errors;
  std::vector<tongwen::Progress> progress;
  tongwen::IngestReport report;

  explicit Ingest(const std::string& db) {
    opt.db_dir = db;
    opt.threads = 2;
    opt.on_error = [this](const std::string& e) { errors.push_back(e); };
    opt.on_progress = [this](const tongwen::Progress& p) { progress.push_back(p); };
  }
  tongwen::Status Rebuild(const std::vector<std::string>& in) { return tongwen::Rebuild(opt, in, &report); }
  tongwen::Status Upsert(const std::vector<std::string>& in) { return tongwen::Upsert(opt, in, &report); }
  tongwen::Status Delete(const std::vector<std::string>& ids) { return tongwen::Delete(opt, ids, &report); }
};

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
  return out;
}

bool HasTmp(const std::string& dir) {
  for (const std::string& n : Entries(dir))
    if (n.rfind("tmp-", 0) == 0) return true;
  return false;
}

std::unique_ptr<tongwen::Engine> OpenEngine(const std::string& db) {
  tongwen::EngineOptions eo;
  eo.db_dir = db;
  auto e = tongwen::Engine::Open(eo);
  REQUIRE(e.ok());
  return std::move(e).value();
}

std::vector<std::string> SearchIds(const tongwen::Engine& e, const std::string& q) {
  tongwen::SearchRequest req;
  req.q = q;
  req.limit = 50;
  req.cross = tongwen::SearchRequest::Cross::kOff;
  auto r = e.Search(req);
  REQUIRE(r.ok());
  std::vector<std::string> ids;
  for (const auto& h : r->hits) ids.push_back(h.id);
  return ids;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Line(const json& j) { return j.dump() + "\n"; }

std::string Article(const std::string& id, const std::string& title, const std::string& body = "") {
  json j = {{"id", id}, {"title", {{"en", title}}}};
  if (!body.empty()) j["body"] = {{"en", body}};
  return Line(j);
}

// Builds DB from the fixture and checks the basics.
void BuildFixture(const std::string& db) {
  Ingest in(db);
  REQUIRE(in.Rebuild({DataPath("fixture.jsonl")}).ok());
  REQUIRE(in.report.indexed == 10);
}

// Changes document `id` of the live generation gen-1 in place (a damaged
// index for verify and the readers).
void EditDocument(const std::string& db, Xapian::docid id,
                  const std::function<void(Xapian::Document&)>& edit) {
  Xapian::WritableDatabase w(db + "/gen-1");
  Xapian::Document d = w.get_document(id);
  edit(d);
  w.replace_document(id, d);
  w.commit();
}

void WriteGz(const std::string& path, const std::string& content) {
  gzFile g = gzopen(path.c_str(), "wb");
  REQUIRE(g != nullptr);
  REQUIRE(gzwrite(g, content.data(), static_cast<unsigned>(content.size())) ==
          static_cast<int>(content.size()));
  REQUIRE(gzclose(g) == Z_OK);
}

}  // namespace

TEST_CASE("Rebuild from the fixture: report, stats, live generation, contents", "[index]") {
  TempDir t;
  const std::string db = t / "db";
  Ingest in(db);
  const std::string fixture = DataPath("fixture.jsonl");
  tongwen::Status s = in.Rebuild({fixture});
  REQUIRE(s.ok());
  CHECK(in.report.read == 10);
  CHECK(in.report.indexed == 10);
  CHECK(in.report.replaced == 0);
  CHECK(in.report.rejected == 0);
  CHECK(in.report.truncated == 0);
  CHECK(in.report.reasons.empty());
  CHECK(in.report.bytes == ReadFile(fixture).size());
  CHECK(in.errors.empty());
  // Progress: called at least once, the last call is final and agrees with the report.
  REQUIRE_FALSE(in.progress.empty());
  CHECK(in.progress.back().final);
  CHECK(in.progress.back().read == 10);
  CHECK(in.progress.back().bytes_total == ReadFile(fixture).size());
  CHECK(std::count_if(in.progress.begin(), in.progress.end(), [](const auto& p) { return p.final; }) == 1);
  // A rebuild says when it merges (once, just before the final report), and
  // its time covers the merge.
  REQUIRE(in.progress.size() >= 2);
  CHECK(std::string(in.progress.back().phase) == "done");
  CHECK(std::string(in.progress[in.progress.size() - 2].phase) == "merging");
  CHECK(std::count_if(in.progress.begin(), in.progress.end(),
                      [](const auto& p) { return std::string(p.phase) == "merging"; }) == 1);
  CHECK(in.progress.back().seconds >= in.progress[in.progress.size() - 2].seconds);
  CHECK(in.report.seconds == in.progress.back().seconds);

  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
  CHECK(st->languages == std::map<std::string, uint64_t>{{"en", 7}, {"zh", 6}});
  CHECK(st->first_date == "2019-05-20");
  CHECK(st->last_date == "2024-02-29");
  CHECK(st->size_bytes > 0);
  CHECK(st->generation == "gen-1");
  CHECK(st->schema == tongwen::schema::kSchemaVersion);

  auto live = tongwen::LiveGeneration(db);
  REQUIRE(live.ok());
  CHECK(*live == db + "/gen-1");
  CHECK(fs::is_directory(*live));
  CHECK(ReadFile(db + "/XAPIANDB").find("gen-1") != std::string::npos);
  CHECK_FALSE(HasTmp(db));

  auto e = OpenEngine(db);
  CHECK(e->DocCount() == 10);
  auto a = e->GetArticle("fx-en-006");
  REQUIRE(a.ok());
  json stored = json::parse(a->json);
  CHECK(stored["id"] == "fx-en-006");
  CHECK(stored["tags"] == json::array({"astronomy", "leap-day"}));  // unknown fields are kept
  auto missing = e->GetArticle("fx-does-not-exist");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kNotFound);

  CHECK(SearchIds(*e, "ferry") == std::vector<std::string>{"fx-en-003"});
  CHECK(SearchIds(*e, "comet") == std::vector<std::string>{"fx-en-006"});
  // Simplified query finds the Traditional-only text (script folding).
  CHECK(Contains(SearchIds(*e, "凤梨酥"), "fx-tw-001"));
  CHECK(Contains(SearchIds(*e, "图书馆"), "fx-cn-002"));
}

TEST_CASE("Each rebuild makes a new generation; only live and previous are kept", "[index][layout]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});

  WriteFile(t / "second.jsonl", Article("second-1", "Glaciers retreat in the north") +
                                    Article("second-2", "Orchard harvest is early"));
  Ingest in(db);
  in.opt.allow_shrink = true;  // 10 articles -> 2, on purpose
  REQUIRE(in.Rebuild({t / "second.jsonl"}).ok());
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->generation == "gen-2");
  CHECK(st->documents == 2);
  // The previous generation stays for readers that still have it open.
  CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1", "gen-2"});
  {
    auto e = OpenEngine(db);
    CHECK(e->DocCount() == 2);
    CHECK(SearchIds(*e, "ferry").empty());  // a rebuild replaces everything
    CHECK(SearchIds(*e, "glaciers") == std::vector<std::string>{"second-1"});
  }

  REQUIRE(in.Rebuild({DataPath("fixture.jsonl")}).ok());
  st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->generation == "gen-3");
  CHECK(st->documents == 10);
  CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-2", "gen-3"});
  auto live = tongwen::LiveGeneration(db);
  REQUIRE(live.ok());
  CHECK(*live == db + "/gen-3");
}

TEST_CASE("Bad lines are reported as FILE:LINE: reason, counted and skipped", "[index][errors]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string bad = DataPath("bad_lines.jsonl");
  Ingest in(db);
  REQUIRE(in.Rebuild({bad}).ok());

  // bad_lines.jsonl: lines 1, 5, 13, 14 are good; 3 and 10 are blank; the rest are bad.
  const std::vector<std::string> expected = {
      bad + ":2: invalid JSON: ",  // prefix; the parser's detail follows
      bad + ":4: missing 'id'",
      bad + ":6: 'id' must be a string, got number",
      bad + ":7: invalid UTF-8",
      bad + ":8: field 'source' must be a string or null, got number",
      bad + ":9: 'title' must be an object of language -> text, got string",
      bad + ":11: 'body.en' contains a NUL character",
      bad + ":12: JSON nested deeper than 32",
      bad + ":15: 'published' must be YYYY-MM-DD, got \"2023-02-30\"",
  };
  REQUIRE(in.errors.size() == expected.size());
  CHECK(in.errors[0].rfind(expected[0], 0) == 0);
  CHECK(in.errors[0].size() > expected[0].size());
  for (size_t i = 1; i < expected.size(); ++i) CHECK(in.errors[i] == expected[i]);

  CHECK(in.report.read == 13);  // blank lines are not counted
  CHECK(in.report.rejected == 9);
  CHECK(in.report.indexed == 4);
  const std::map<std::string, uint64_t> reasons = {
      {"invalid JSON", 1},
      {"missing 'id'", 1},
      {"'id' must be a string", 1},
      {"invalid UTF-8", 1},
      {"field 'source' must be a string or null", 1},
      {"'title' must be an object of language -> text", 1},
      {"'body.en' contains a NUL character", 1},
      {"JSON nested deeper than 32", 1},
      {"'published' must be YYYY-MM-DD", 1},
  };
  CHECK(in.report.reasons == reasons);
  CHECK(in.report.SummaryLine().find("rejected 9 [") != std::string::npos);

  auto e = OpenEngine(db);
  CHECK(e->DocCount() == 4);
  for (const char* id : {"bl-good-1", "bl-good-2", "bl-good-3", "bl-good-4"}) {
    INFO(id);
    CHECK(e->GetArticle(id).ok());
  }
  for (const char* id :
       {"bl-bad-utf8", "bl-source-int", "bl-title-str", "bl-nul", "bl-deep", "bl-bad-date"}) {
    INFO(id);
    auto a = e->GetArticle(id);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == Code::kNotFound);
  }
  CHECK(SearchIds(*e, "vineyards") == std::vector<std::string>{"bl-good-3"});
}

TEST_CASE("max_errors: N bad lines pass, N+1 fail and leave the database untouched", "[index][errors]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string bad = DataPath("bad_lines.jsonl");  // 9 bad lines
  BuildFixture(db);
  auto before = tongwen::Stats(db);
  REQUIRE(before.ok());

  SECTION("more bad lines than max_errors fails") {
    for (uint64_t max : {uint64_t{0}, uint64_t{8}}) {
      INFO("max_errors " << max);
      Ingest in(db);
      in.opt.max_errors = max;
      tongwen::Status s = in.Rebuild({DataPath("fixture.jsonl"), bad});
      REQUIRE_FALSE(s.ok());
      CHECK(s.code() == Code::kInvalidArgument);
      CHECK(s.message().find("too many bad lines") != std::string::npos);
      CHECK(in.report.rejected > max);
      CHECK_FALSE(in.errors.empty());

      auto st = tongwen::Stats(db);
      REQUIRE(st.ok());
      CHECK(st->documents == 10);
      CHECK(st->generation == "gen-1");
      CHECK(st->first_date == before->first_date);
      CHECK(st->last_date == before->last_date);
      CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});
      auto e = OpenEngine(db);
      CHECK(SearchIds(*e, "ferry") == std::vector<std::string>{"fx-en-003"});
      CHECK_FALSE(e->GetArticle("bl-good-1").ok());
    }
  }
  SECTION("exactly max_errors bad lines succeeds") {
    Ingest in(db);
    in.opt.max_errors = 9;
    in.opt.allow_shrink = true;  // 10 articles -> 4
    REQUIRE(in.Rebuild({bad}).ok());
    CHECK(in.report.rejected == 9);
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    CHECK(st->documents == 4);
    CHECK(st->generation == "gen-2");
  }
  SECTION("a failed first rebuild creates no database") {
    const std::string fresh = t / "fresh";
    Ingest in(fresh);
    in.opt.max_errors = 0;
    REQUIRE_FALSE(in.Rebuild({bad}).ok());
    auto st = tongwen::Stats(fresh);
    REQUIRE_FALSE(st.ok());
    CHECK(st.status().code() == Code::kNotFound);
    CHECK_FALSE(tongwen::LiveGeneration(fresh).ok());
    CHECK_FALSE(HasTmp(fresh));
  }
}

TEST_CASE("Rebuild with an id twice: counted as replaced, the later line wins", "[index]") {
  TempDir t;
  const std::string db = t / "db";
  WriteFile(t / "dup.jsonl", Article("dup-1", "first version alpaca") + Article("other", "unrelated walrus") +
                                 Article("dup-1", "second version okapi"));
  Ingest in(db);
  REQUIRE(in.Rebuild({t / "dup.jsonl"}).ok());
  CHECK(in.report.read == 3);
  CHECK(in.report.indexed == 3);
  CHECK(in.report.replaced == 1);
  auto e = OpenEngine(db);
  CHECK(e->DocCount() == 2);
  auto a = e->GetArticle("dup-1");
  REQUIRE(a.ok());
  CHECK(json::parse(a->json)["title"]["en"] == "second version okapi");
  CHECK(SearchIds(*e, "okapi") == std::vector<std::string>{"dup-1"});
  CHECK(SearchIds(*e, "alpaca").empty());
}

TEST_CASE("Upsert adds and replaces articles by id in the live generation", "[index][upsert]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  WriteFile(t / "up.jsonl", Line({{"id", "fx-en-003"},
                                  {"source", "Harbor Gazette"},
                                  {"published", "2020-01-11"},
                                  {"title", {{"en", "Island operator switches to a catamaran"}}}}) +
                                Article("fx-new-011", "Beekeepers count their hives"));
  Ingest in(db);
  REQUIRE(in.Upsert({t / "up.jsonl"}).ok());
  CHECK(in.report.read == 2);
  CHECK(in.report.indexed == 2);
  CHECK(in.report.replaced == 1);
  CHECK(in.report.rejected == 0);
  // No merge; the commit is reported as a phase, and the time covers it.
  REQUIRE(in.progress.size() >= 2);
  CHECK(std::string(in.progress.back().phase) == "done");
  CHECK(in.progress.back().final);
  CHECK(std::string(in.progress[in.progress.size() - 2].phase) == "committing");
  CHECK_FALSE(in.progress[in.progress.size() - 2].final);
  CHECK(std::none_of(in.progress.begin(), in.progress.end(),
                     [](const auto& p) { return std::string(p.phase) == "merging"; }));
  CHECK(in.report.seconds == in.progress.back().seconds);
  CHECK(in.progress.back().seconds >= in.progress[in.progress.size() - 2].seconds);

  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 11);
  CHECK(st->generation == "gen-1");  // upsert writes into the live generation
  {
    auto e = OpenEngine(db);
    CHECK(SearchIds(*e, "catamaran") == std::vector<std::string>{"fx-en-003"});
    CHECK(SearchIds(*e, "ferry").empty());  // the old version's terms are gone
    CHECK(SearchIds(*e, "beekeepers") == std::vector<std::string>{"fx-new-011"});
  }

  SECTION("an id twice in one upsert: both count, the later line wins") {
    WriteFile(t / "twice.jsonl",
              Article("fx-new-012", "draft about lemurs") + Article("fx-new-012", "final about pangolins"));
    REQUIRE(in.Upsert({t / "twice.jsonl"}).ok());
    CHECK(in.report.indexed == 2);
    CHECK(in.report.replaced == 1);
    auto e = OpenEngine(db);
    CHECK(e->DocCount() == 12);
    CHECK(SearchIds(*e, "pangolins") == std::vector<std::string>{"fx-new-012"});
    CHECK(SearchIds(*e, "lemurs").empty());
  }
  SECTION("upsert into an empty directory creates the database") {
    const std::string fresh = t / "fresh";
    Ingest in2(fresh);
    REQUIRE(in2.Upsert({DataPath("fixture.jsonl")}).ok());
    CHECK(in2.report.indexed == 10);
    CHECK(in2.report.replaced == 0);
    auto st2 = tongwen::Stats(fresh);
    REQUIRE(st2.ok());
    CHECK(st2->documents == 10);
    CHECK(st2->generation == "gen-1");
    CHECK(st2->schema == tongwen::schema::kSchemaVersion);
  }
}

TEST_CASE("Delete removes articles by id and counts unknown ids", "[index][delete]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  Ingest in(db);
  REQUIRE(in.Delete({"fx-en-003", "fx-no-such-id", "fx-tw-001"}).ok());
  CHECK(in.report.read == 3);
  CHECK(in.report.deleted == 2);
  CHECK(in.report.not_found == 1);
  CHECK(in.report.indexed == 0);
  CHECK(in.report.SummaryLine().find("deleted 2 (not found 1)") != std::string::npos);

  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 8);
  CHECK(st->languages == std::map<std::string, uint64_t>{{"en", 5}, {"zh", 5}});
  auto e = OpenEngine(db);
  CHECK(e->GetArticle("fx-en-003").status().code() == Code::kNotFound);
  CHECK(e->GetArticle("fx-tw-001").status().code() == Code::kNotFound);
  CHECK(e->GetArticle("fx-en-006").ok());
  CHECK(SearchIds(*e, "ferry").empty());

  SECTION("deleting again finds nothing") {
    REQUIRE(in.Delete({"fx-en-003"}).ok());
    CHECK(in.report.deleted == 0);
    CHECK(in.report.not_found == 1);
  }
  SECTION("delete on a directory without a database fails") {
    Ingest none(t / "nothing-here");
    tongwen::Status s = none.Delete({"fx-en-003"});
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kNotFound);
  }
}

TEST_CASE("Upsert is one transaction: exceeding max_errors leaves nothing of the batch", "[index][upsert]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  // 700 good lines (several internal batches are written before the bad
  // lines at the end are read), a replacement of a fixture article, and then
  // three bad lines with max_errors 2.
  std::string input;
  for (int i = 0; i < 700; ++i)
    input += Article("tx-" + std::to_string(i), "transaction test number " + std::to_string(i));
  input += Article("fx-en-003", "replaced by a rolled back upsert about zeppelins");
  input += "not json\n{\"title\":{\"en\":\"no id\"}}\n{\"id\":7}\n";
  WriteFile(t / "tx.jsonl", input);

  Ingest in(db);
  in.opt.max_errors = 2;
  tongwen::Status s = in.Upsert({t / "tx.jsonl"});
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("too many bad lines") != std::string::npos);
  CHECK(in.errors.size() == 3);

  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
  CHECK(st->generation == "gen-1");
  {
    auto e = OpenEngine(db);
    CHECK(e->DocCount() == 10);
    for (const char* id : {"tx-0", "tx-1", "tx-255", "tx-256", "tx-699"}) {
      INFO(id);
      CHECK(e->GetArticle(id).status().code() == Code::kNotFound);
    }
    CHECK(SearchIds(*e, "zeppelins").empty());
    CHECK(SearchIds(*e, "ferry") == std::vector<std::string>{"fx-en-003"});
    CHECK(SearchIds(*e, "transaction").empty());
  }
  std::string report;
  CHECK(tongwen::Verify(db, &report).ok());

  // The lock was released and the database still accepts writes.
  Ingest ok(db);
  REQUIRE(ok.Upsert({DataPath("bad_lines.jsonl")}).ok());
  CHECK(ok.report.indexed == 4);
  auto st2 = tongwen::Stats(db);
  REQUIRE(st2.ok());
  CHECK(st2->documents == 14);
}

TEST_CASE("Gzip input, and several inputs with per-file line numbers", "[index][input]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string gz = t / "fixture.jsonl.gz";
  WriteGz(gz, ReadFile(DataPath("fixture.jsonl")));
  Ingest in(db);
  REQUIRE(in.Rebuild({gz}).ok());
  CHECK(in.report.indexed == 10);
  CHECK(in.report.rejected == 0);
  auto e = OpenEngine(db);
  CHECK(e->DocCount() == 10);
  CHECK(SearchIds(*e, "ferry") == std::vector<std::string>{"fx-en-003"});

  const std::string badgz = t / "bad.jsonl.gz";
  WriteGz(badgz, ReadFile(DataPath("bad_lines.jsonl")));
  Ingest two(db);
  REQUIRE(two.Rebuild({gz, badgz}).ok());
  CHECK(two.report.read == 23);
  CHECK(two.report.indexed == 14);
  CHECK(two.report.rejected == 9);
  REQUIRE(two.errors.size() == 9);
  CHECK(two.errors[1] == badgz + ":4: missing 'id'");
  CHECK(two.errors[8].rfind(badgz + ":15: ", 0) == 0);
}

TEST_CASE("Missing or unreadable inputs fail without touching the database", "[index][input]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  for (const std::string& input : {t / "no-such-file.jsonl", t.path()}) {
    INFO(input);
    Ingest in(db);
    tongwen::Status r = in.Rebuild({DataPath("fixture.jsonl"), input});
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kIOError);
    CHECK(r.message().find(input) != std::string::npos);
    tongwen::Status u = in.Upsert({input});
    REQUIRE_FALSE(u.ok());
    CHECK(u.code() == Code::kIOError);
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    CHECK(st->documents == 10);
    CHECK(st->generation == "gen-1");
    CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});
  }
}

TEST_CASE("A line over max_line_bytes is rejected with FILE:LINE, the rest is indexed", "[index][limits]") {
  TempDir t;
  const std::string db = t / "db";
  const size_t kMax = 4096;
  // A valid article of exactly kMax bytes is accepted.
  std::string exact = "{\"id\":\"exact\",\"title\":{\"en\":\"exactly at the limit\"},\"body\":{\"en\":\"";
  const std::string tail = "\"}}";
  exact += std::string(kMax - exact.size() - tail.size(), 'x') + tail;
  REQUIRE(exact.size() == kMax);
  const std::string huge = "{\"id\":\"huge\",\"title\":{\"en\":\"far too long\"},\"body\":{\"en\":\"" +
                           std::string(300000, 'y') + "\"}}";
  const std::string path = t / "long.jsonl";
  WriteFile(path, Article("short-1", "small article about otters") + huge + "\n" + exact + "\n" +
                      Article("short-2", "small article about herons") + std::string(kMax + 1, 'z') + "\n" +
                      // a huge last line without a trailing newline
                      huge);
  Ingest in(db);
  in.opt.limits.max_line_bytes = kMax;
  REQUIRE(in.Rebuild({path}).ok());
  const std::string reason = ": line is longer than 4096 bytes";
  CHECK(in.errors ==
        std::vector<std::string>{path + ":2" + reason, path + ":5" + reason, path + ":6" + reason});
  CHECK(in.report.read == 6);
  CHECK(in.report.rejected == 3);
  CHECK(in.report.indexed == 3);
  auto e = OpenEngine(db);
  CHECK(e->DocCount() == 3);
  CHECK(e->GetArticle("exact").ok());
  CHECK(e->GetArticle("short-2").ok());
  CHECK(e->GetArticle("huge").status().code() == Code::kNotFound);
}

TEST_CASE("A field over max_field_bytes is truncated at a character boundary", "[index][limits]") {
  TempDir t;
  const std::string db = t / "db";
  std::string en_body = "Opening words mention quokkas.";
  while (en_body.size() < 500) en_body += " filler text";
  en_body += " closing words mention narwhals.";
  std::string zh_body;
  while (zh_body.size() < 300) zh_body += "長篇報導";  // 3-byte characters
  WriteFile(t / "long-field.jsonl", Line({{"id", "long-field"},
                                          {"title", {{"en", "A short title"}}},
                                          {"body", {{"en", en_body}, {"zh-Hant", zh_body}}}}) +
                                        Article("short-field", "nothing to cut"));
  Ingest in(db);
  in.opt.limits.max_field_bytes = 64;
  REQUIRE(in.Rebuild({t / "long-field.jsonl"}).ok());
  CHECK(in.report.indexed == 2);
  CHECK(in.report.truncated == 1);  // counted per article
  CHECK(in.report.rejected == 0);

  auto e = OpenEngine(db);
  auto a = e->GetArticle("long-field");
  REQUIRE(a.ok());
  json stored = json::parse(a->json);  // still valid UTF-8 JSON
  const std::string en = stored["body"]["en"];
  const std::string zh = stored["body"]["zh-Hant"];
  CHECK(en.size() == 64);
  CHECK(en == en_body.substr(0, 64));
  CHECK(zh.size() <= 64);
  CHECK(zh.size() > 60);
  CHECK(zh.size() % 3 == 0);  // cut between characters, not inside one
  CHECK(zh == zh_body.substr(0, zh.size()));
  CHECK(stored["title"]["en"] == "A short title");
  CHECK(SearchIds(*e, "quokkas") == std::vector<std::string>{"long-field"});
  CHECK(SearchIds(*e, "narwhals").empty());
}

TEST_CASE("Verify accepts a good database and rejects missing or damaged ones", "[index][verify]") {
  TempDir t;
  const std::string db = t / "db";
  std::string report;
  SECTION("missing database") {
    tongwen::Status s = tongwen::Verify(t / "nothing", &report);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kNotFound);
    auto st = tongwen::Stats(t / "nothing");
    REQUIRE_FALSE(st.ok());
    CHECK(st.status().code() == Code::kNotFound);
    CHECK(tongwen::LiveGeneration(t / "nothing").status().code() == Code::kNotFound);
  }
  SECTION("good database") {
    BuildFixture(db);
    tongwen::Status s = tongwen::Verify(db, &report);
    CHECK(s.ok());
    CHECK(report.find("articles checked: 10, bad: 0") != std::string::npos);
  }
  SECTION("a malformed position stream") {
    BuildFixture(db);
    // A run of 5 hashes with the bytes of 1.
    EditDocument(db, 3, [](Xapian::Document& d) {
      d.add_value(tongwen::schema::kSlotWordPositions, std::string("\x01\x05") + "ab");
    });
    tongwen::Status s = tongwen::Verify(db, &report);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kCorruption);
    CHECK(report.find("docid 3: position stream in value slot 9 is malformed") != std::string::npos);
    CHECK(report.find("articles checked: 10, bad: 1") != std::string::npos);
  }
  SECTION("damaged database") {
    BuildFixture(db);
    const std::string postlist = db + "/gen-1/postlist.glass";
    REQUIRE(fs::exists(postlist));
    std::string bytes = ReadFile(postlist);
    REQUIRE(bytes.size() > 100);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5 ^ (i * 31));
    WriteFile(postlist, bytes);
    tongwen::Status s = tongwen::Verify(db, &report);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kCorruption);
  }
}

namespace {

// The zstd dictionary id of each document's stored article (0: none).
std::vector<unsigned> FrameDictionaries(const std::string& db) {
  Xapian::Database d(db);
  std::vector<unsigned> ids;
  for (Xapian::PostingIterator p = d.postlist_begin(""); p != d.postlist_end(""); ++p) {
    const std::string data = d.get_document(*p).get_data();
    ids.push_back(ZSTD_getDictID_fromFrame(data.data(), data.size()));
  }
  return ids;
}

}  // namespace

TEST_CASE("Rebuild trains a dictionary for the stored articles; upsert and readers use it",
          "[index][stored]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string big = t / "big.jsonl";
  std::string lines;
  const std::vector<std::string> articles = testutil::SyntheticArticles(700, 11);
  for (const std::string& a : articles) lines += a + "\n";
  REQUIRE(lines.size() > tongwen::StoredCodec::kMinSampleBytes);
  WriteFile(big, lines);
  Ingest in(db);
  in.opt.shard_docs = 200;  // several shards, merged: the dictionary is the merged database's
  REQUIRE(in.Rebuild({big}).ok());
  REQUIRE(in.report.indexed == 700);
  const std::string dict =
      Xapian::Database(db).get_metadata(std::string(tongwen::schema::kMetaStoredDictionary));
  REQUIRE(!dict.empty());
  const unsigned dict_id = ZDICT_getDictID(dict.data(), dict.size());
  REQUIRE(dict_id != 0);
  CHECK(FrameDictionaries(db) == std::vector<unsigned>(700, dict_id));

  // Readers decode them: the article as stored, hits' fields, verify.
  auto e = OpenEngine(db);
  auto art = e->GetArticle("syn-11-42");
  REQUIRE(art.ok());
  CHECK(json::parse(art->json) == json::parse(articles[42]));
  tongwen::SearchRequest req;
  req.q = "typhoon";
  auto r = e->Search(req);
  REQUIRE(r.ok());
  REQUIRE(!r->hits.empty());
  CHECK(r->hits[0].source.size() > 0);
  CHECK(!r->hits[0].snippets.empty());
  std::string report;
  CHECK(tongwen::Verify(db, &report).ok());
  CHECK(report.find("articles checked: 700, bad: 0") != std::string::npos);

  // An upsert compresses with the database's dictionary.
  const std::string more = t / "more.jsonl";
  WriteFile(more, testutil::SyntheticArticles(3, 12)[0] + "\n" + articles[5] + "\n");
  Ingest up(db);
  REQUIRE(up.Upsert({more}).ok());
  CHECK(up.report.indexed == 2);
  CHECK(FrameDictionaries(db) == std::vector<unsigned>(701, dict_id));
  auto e2 = OpenEngine(db);
  auto upserted = e2->GetArticle("syn-12-0");
  REQUIRE(upserted.ok());
  CHECK(json::parse(upserted->json)["id"] == "syn-12-0");

  // A small archive (the fixture) gets no dictionary: plain zstd frames.
  BuildFixture(t / "small");
  CHECK(Xapian::Database(t / "small")
            .get_metadata(std::string(tongwen::schema::kMetaStoredDictionary))
            .empty());
  CHECK(FrameDictionaries(t / "small") == std::vector<unsigned>(10, 0));
}

TEST_CASE("The lines held back to train the dictionary keep their input order", "[index][stored]") {
  TempDir t;
  const std::string db = t / "db";
  std::vector<std::string> articles = testutil::SyntheticArticles(1300, 13);
  // Article 10 again at the end, changed: the later line wins.
  json again = json::parse(articles[10]);
  again["title"]["en"] = "zeppelins over the harbour";
  articles.push_back(again.dump());
  std::string lines;
  for (const std::string& a : articles) lines += a + "\n";
  WriteFile(t / "in.jsonl", lines);
  Ingest in(db);
  // Training ends about halfway through the input: the held lines, then
  // the rest as they are read.
  in.opt.dictionary_sample_bytes = lines.size() / 2;
  REQUIRE(in.opt.dictionary_sample_bytes > tongwen::StoredCodec::kMinSampleBytes);
  REQUIRE(in.Rebuild({t / "in.jsonl"}).ok());
  CHECK(in.report.indexed == 1301);
  CHECK(in.report.replaced == 1);
  Xapian::Database d(db);
  CHECK(d.get_doccount() == 1300);
  const std::string dict = d.get_metadata(std::string(tongwen::schema::kMetaStoredDictionary));
  REQUIRE(!dict.empty());
  CHECK(FrameDictionaries(db) == std::vector<unsigned>(1300, ZDICT_getDictID(dict.data(), dict.size())));
  auto e = OpenEngine(db);
  CHECK(SearchIds(*e, "zeppelins") == std::vector<std::string>{"syn-13-10"});
  auto last = e->GetArticle("syn-13-1299");
  REQUIRE(last.ok());
  CHECK(json::parse(last->json) == json::parse(articles[1299]));

  SECTION("dictionary_sample_bytes 0: no dictionary") {
    Ingest plain(db);
    plain.opt.dictionary_sample_bytes = 0;
    REQUIRE(plain.Rebuild({t / "in.jsonl"}).ok());
    CHECK(Xapian::Database(db).get_metadata(std::string(tongwen::schema::kMetaStoredDictionary)).empty());
    CHECK(FrameDictionaries(db) == std::vector<unsigned>(1300, 0));
  }
}

TEST_CASE("A damaged stored article or dictionary is reported, and upsert changes nothing",
          "[index][stored][errors]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  std::string report;
  SECTION("an article that is not a zstd frame") {
    EditDocument(db, 4, [](Xapian::Document& d) { d.set_data("{\"id\":\"plain json\"}"); });
    tongwen::Status s = tongwen::Verify(db, &report);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kCorruption);
    CHECK(report.find("docid 4: stored article: not a zstd frame") != std::string::npos);
    CHECK(report.find("articles checked: 10, bad: 1") != std::string::npos);
    // The engine: the article is a 500-class error, other articles still read.
    auto e = OpenEngine(db);
    const std::string id = tongwen::ArticleIdOf(Xapian::Database(db).get_document(4));
    auto bad = e->GetArticle(id);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == Code::kCorruption);
    CHECK(bad.status().message().find("docid 4") != std::string::npos);
    CHECK(e->GetArticle(tongwen::ArticleIdOf(Xapian::Database(db).get_document(5))).ok());
  }
  SECTION("dictionary metadata that is not a dictionary") {
    {
      Xapian::WritableDatabase w(db + "/gen-1");
      w.set_metadata(std::string(tongwen::schema::kMetaStoredDictionary), "garbage");
      w.commit();
    }
    tongwen::Status s = tongwen::Verify(db, &report);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kCorruption);
    CHECK(s.message().find("tongwen:stored-dictionary") != std::string::npos);
    Ingest up(db);
    tongwen::Status u = up.Upsert({DataPath("bad_lines.jsonl")});
    REQUIRE_FALSE(u.ok());
    CHECK(u.code() == Code::kCorruption);
    CHECK(Xapian::Database(db).get_doccount() == 10);
    auto e = OpenEngine(db);
    tongwen::SearchRequest req;
    req.q = "ferry";
    auto r = e->Search(req);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
  }
}

namespace {

// A document's text terms (wdf > 0) and their stored wdfs.
std::map<std::string, Xapian::termcount> Wdfs(const Xapian::Document& d) {
  std::map<std::string, Xapian::termcount> out;
  for (Xapian::TermIterator t = d.termlist_begin(); t != d.termlist_end(); ++t)
    if (t.get_wdf()) out[*t] = t.get_wdf();
  REQUIRE(out.size() > 10);
  return out;
}

// Synthetic articles of varied lengths: the body keeps 20 to 259 of its
// words, and every third article has a Chinese version of varied length too.
std::vector<std::string> VariedArticles(size_t n, unsigned seed) {
  std::vector<std::string> out;
  for (const std::string& line : testutil::SyntheticArticles(n, seed)) {
    json j = json::parse(line);
    std::istringstream words(j["body"]["en"].get<std::string>());
    std::string w, body;
    const size_t keep = 20 + (out.size() * 97) % 240;
    for (size_t k = 0; k < keep && words >> w; ++k) body += w + " ";
    j["body"]["en"] = body;
    if (out.size() % 3 == 0) {
      std::string zh;
      for (size_t k = 0; k < 1 + out.size() % 7; ++k) zh += "颱風逼近東部沿海，花蓮臺東停班停課。";
      j["body"]["zh-Hant"] = zh;
    }
    out.push_back(j.dump());
  }
  return out;
}

// Sums of the first `n` articles' side lengths, and how many have each side.
struct SideSums {
  tongwen::VersionLengths sum;
  size_t latin = 0, han = 0;
};
SideSums SumSides(const std::vector<tongwen::Article>& arts, size_t n, const tongwen::Analyzer& an) {
  SideSums s;
  for (size_t i = 0; i < n; ++i) {
    const tongwen::VersionLengths v = tongwen::RawVersionLengths(arts[i], an);
    s.sum.latin += v.latin;
    s.sum.han += v.han;
    s.latin += v.latin > 0;
    s.han += v.han > 0;
  }
  return s;
}

// The stored reference lengths: "<latin> <han>".
tongwen::VersionLengths StoredAverageLength(const std::string& db) {
  const std::string v = Xapian::Database(db).get_metadata(std::string(tongwen::schema::kMetaAverageLength));
  REQUIRE(!v.empty());
  std::istringstream in(v);
  tongwen::VersionLengths l;
  REQUIRE(in >> l.latin >> l.han);
  return l;
}

Xapian::Document StoredDocument(const std::string& db, const std::string& id) {
  Xapian::Database x(db);
  const std::string term = std::string(tongwen::schema::kIdPrefix) + id;
  REQUIRE(x.postlist_begin(term) != x.postlist_end(term));
  return x.get_document(*x.postlist_begin(term));
}

}  // namespace

TEST_CASE("Rebuild measures the reference length; rebuild and upsert normalise wdfs with it",
          "[index][weighting]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string big = t / "big.jsonl";
  std::vector<tongwen::Article> arts;
  std::string lines;
  for (const std::string& l : VariedArticles(60, 21)) {
    lines += l + "\n";
    auto a = tongwen::ParseArticle(l);
    REQUIRE(a.ok());
    arts.push_back(*a);
  }
  WriteFile(big, lines);
  tongwen::Analyzer an(nullptr);  // as the indexer without a dictionary
  Ingest in(db);
  in.opt.length_sample_articles = 40;  // the mean of the first 40 of 60
  REQUIRE(in.Rebuild({big}).ok());
  // The mean length of each script side over the first 40 articles that
  // have it.
  const SideSums first = SumSides(arts, 40, an);
  REQUIRE(first.latin == 40);
  REQUIRE(first.han == 40);  // the synthetic words include Chinese ones
  const tongwen::VersionLengths avg = StoredAverageLength(db);
  CHECK(avg.latin == Approx(first.sum.latin / 40).epsilon(1e-12));
  CHECK(avg.han == Approx(first.sum.han / 40).epsilon(1e-12));
  CHECK(avg.han != Approx(avg.latin));
  const SideSums all = SumSides(arts, 60, an);
  CHECK(avg.latin != Approx(all.sum.latin / 60));  // the later articles are not measured

  // Every document, in the sample or not, holds the wdfs BuildDocument gives
  // with that length.
  for (size_t i : {size_t{0}, size_t{39}, size_t{40}, size_t{59}}) {
    INFO("article " << i);
    Xapian::Document want;
    tongwen::BuildDocument(arts[i], an, avg, &want);
    CHECK(Wdfs(StoredDocument(db, arts[i].id)) == Wdfs(want));
  }

  SECTION("an upsert normalises with the database's length and keeps it") {
    const auto more = VariedArticles(2, 22);
    WriteFile(t / "more.jsonl", more[0] + "\n" + more[1] + "\n");
    Ingest up(db);
    REQUIRE(up.Upsert({t / "more.jsonl"}).ok());
    CHECK(StoredAverageLength(db).latin == avg.latin);
    CHECK(StoredAverageLength(db).han == avg.han);
    auto a = tongwen::ParseArticle(more[1]);
    REQUIRE(a.ok());
    Xapian::Document want;
    tongwen::BuildDocument(*a, an, avg, &want);
    CHECK(Wdfs(StoredDocument(db, a->id)) == Wdfs(want));
  }
  SECTION("the first upsert into a new database measures it") {
    const std::string fresh = t / "fresh";
    Ingest up(fresh);
    up.opt.length_sample_articles = 10;
    REQUIRE(up.Upsert({big}).ok());
    const SideSums first10 = SumSides(arts, 10, an);
    CHECK(StoredAverageLength(fresh).latin == Approx(first10.sum.latin / 10).epsilon(1e-12));
    CHECK(StoredAverageLength(fresh).han == Approx(first10.sum.han / first10.han).epsilon(1e-12));
  }
  SECTION("an input without an article to measure gets the default length") {
    const std::string none = t / "none";
    WriteFile(t / "bad.jsonl", "not json\n");
    Ingest re(none);
    REQUIRE(re.Rebuild({t / "bad.jsonl"}).ok());
    CHECK(StoredAverageLength(none).latin == tongwen::kDefaultAverageLength);
    CHECK(StoredAverageLength(none).han == tongwen::kDefaultAverageLength);
  }
}

TEST_CASE("A missing or malformed reference length is reported, and upsert changes nothing",
          "[index][weighting][errors]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  std::string report;
  REQUIRE(tongwen::Verify(db, &report).ok());
  for (const char* bad : {"", "abc", "-5", "0", "12x", "inf", "900", "900 ", "900  900", " 900 900", "900 0",
                          "900 -1", "900 12x", "900 900 900", "nan 900"}) {
    INFO("metadata \"" << bad << "\"");
    {
      Xapian::WritableDatabase w(db + "/gen-1");
      w.set_metadata(std::string(tongwen::schema::kMetaAverageLength), bad);
      w.commit();
    }
    tongwen::Status v = tongwen::Verify(db, &report);
    REQUIRE_FALSE(v.ok());
    CHECK(v.code() == Code::kCorruption);
    CHECK(v.message().find("tongwen:average-length") != std::string::npos);
    CHECK(v.message().find(*bad ? "not two positive numbers" : "is missing") != std::string::npos);
    Ingest up(db);
    tongwen::Status u = up.Upsert({DataPath("bad_lines.jsonl")});
    REQUIRE_FALSE(u.ok());
    CHECK(u.code() == Code::kCorruption);
    CHECK(u.message().find("tongwen:average-length") != std::string::npos);
    CHECK(Xapian::Database(db).get_doccount() == 10);
  }
}

TEST_CASE("Leftovers of a crashed run (tmp-*, unswapped gen-N) are removed by the next run",
          "[index][layout]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  auto make_junk = [&](const std::string& name) {
    fs::create_directories(db + "/" + name + "/raw");
    WriteFile(db + "/" + name + "/raw/postlist.glass", "half-written junk");
  };

  SECTION("rebuild") {
    make_junk("tmp-99");
    make_junk("gen-2");  // built but never swapped in (crash before the stub rename)
    make_junk("gen-7");
    // Readers still see gen-1.
    auto before = tongwen::Stats(db);
    REQUIRE(before.ok());
    CHECK(before->generation == "gen-1");

    WriteFile(t / "next.jsonl", Article("next-1", "Lanterns glow along the canal"));
    Ingest in(db);
    in.opt.allow_shrink = true;  // 10 articles -> 1
    REQUIRE(in.Rebuild({t / "next.jsonl"}).ok());
    CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1", "gen-2"});
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    CHECK(st->generation == "gen-2");
    CHECK(st->documents == 1);
    std::string report;
    CHECK(tongwen::Verify(db, &report).ok());
    auto e = OpenEngine(db);
    CHECK(SearchIds(*e, "lanterns") == std::vector<std::string>{"next-1"});
  }
  SECTION("upsert") {
    make_junk("tmp-3");
    make_junk("gen-5");
    Ingest in(db);
    WriteFile(t / "one.jsonl", Article("one-more", "Kayakers cross the bay"));
    REQUIRE(in.Upsert({t / "one.jsonl"}).ok());
    CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    CHECK(st->documents == 11);
  }
}

TEST_CASE("Only one writer at a time: a held lock makes writers fail cleanly", "[index][lock]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  int fd = ::open((db + "/.lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);

  Ingest in(db);
  for (int which = 0; which < 3; ++which) {
    INFO("operation " << which);
    tongwen::Status s = which == 0   ? in.Upsert({DataPath("bad_lines.jsonl")})
                        : which == 1 ? in.Rebuild({DataPath("bad_lines.jsonl")})
                                     : in.Delete({"fx-en-003"});
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kUnavailable);
    CHECK(s.message().find("another indexer") != std::string::npos);
  }
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
  CHECK(st->generation == "gen-1");

  ::close(fd);  // releases the lock
  REQUIRE(in.Delete({"fx-en-003"}).ok());
  CHECK(in.report.deleted == 1);
}

namespace {

// 400 varied articles, gzip-compressed; returns the compressed bytes.
std::string GzArchive(const std::string& path) {
  std::string content;
  for (int i = 0; i < 400; ++i)
    content +=
        Article("gz-" + std::to_string(i), "archive item " + std::to_string(i * 7919),
                "paragraph " + std::to_string(i * 104729) + " mentions code " + std::to_string(i * 31337));
  WriteGz(path, content);
  return ReadFile(path);
}

}  // namespace

TEST_CASE("A truncated .gz input is a read error: rebuild fails, database untouched", "[index][input][gz]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  const std::string gz = GzArchive(t / "full.jsonl.gz");
  const std::string cut = t / "cut.jsonl.gz";
  WriteFile(cut, gz.substr(0, gz.size() / 2));  // e.g. an interrupted download

  Ingest in(db);
  tongwen::Status s = in.Rebuild({cut});
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Code::kIOError);
  CHECK(s.message().find(cut) != std::string::npos);
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
  CHECK(st->generation == "gen-1");

  Ingest up(db);
  tongwen::Status u = up.Upsert({cut});
  CHECK_FALSE(u.ok());
  st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
}

TEST_CASE("A corrupted .gz input is a read error: rebuild fails, database untouched", "[index][input][gz]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  std::string gz = GzArchive(t / "full.jsonl.gz");
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5A);
  const std::string bad = t / "bad.jsonl.gz";
  WriteFile(bad, gz);
  Ingest in(db);
  tongwen::Status s = in.Rebuild({bad});
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Code::kIOError);
  CHECK(s.message().find(bad + ": read error") != std::string::npos);
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
  CHECK(st->generation == "gen-1");
  CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});

  Ingest up(db);
  REQUIRE_FALSE(up.Upsert({bad}).ok());
  auto e = OpenEngine(db);
  CHECK(e->DocCount() == 10);
  CHECK(e->GetArticle("gz-0").status().code() == Code::kNotFound);
}

TEST_CASE("Malformed encodings and shapes are rejected with their reasons; nesting limit is exact",
          "[index][errors]") {
  TempDir t;
  const std::string db = t / "db";
  std::string nest_ok =
      "{\"id\":\"depth-32\",\"title\":{\"en\":\"deep but allowed\"},\"x\":" + std::string(31, '[') +
      std::string(31, ']') + "}";
  std::string nest_bad =
      "{\"id\":\"depth-33\",\"title\":{\"en\":\"one level too deep\"},\"x\":" + std::string(32, '[') +
      std::string(32, ']') + "}";
  const std::string path = t / "enc.jsonl";
  WriteFile(path, std::string("{\"id\":\"overlong\",\"title\":{\"en\":\"a \xC0\xAF b\"}}\n") +  // 1
                      "{\"id\":\"surrogate\",\"title\":{\"en\":\"a \xED\xA0\x80 b\"}}\n" +      // 2
                      "{\"id\":\"too-big\",\"title\":{\"en\":\"a \xF4\x90\x80\x80 b\"}}\n" +    // 3
                      "{\"id\":\"cut-seq\",\"title\":{\"en\":\"a \xE4\xB8\"}}\n" +              // 4
                      "{\"id\":\"lone\",\"title\":{\"en\":\"a \\ud800 b\"}}\n" +                // 5
                      "[\"not\", \"an\", \"object\"]\n" +                                       // 6
                      nest_ok + "\n" +                                                          // 7
                      nest_bad + "\n" +                                                         // 8
                      "{\"id\":\"\",\"title\":{\"en\":\"empty id\"}}\n" +                       // 9
                      "{\"id\":\"a\\u0007b\",\"title\":{\"en\":\"control in id\"}}\n" +         // 10
                      "{\"id\":\"no-text\",\"title\":{},\"body\":null}\n" +                     // 11
                      "{\"id\":\"body-int\",\"body\":{\"en\":42}}\n" +                          // 12
                      "{\"id\":\"good\",\"title\":{\"en\":\"the only good line\"}}\n");         // 13
  Ingest in(db);
  REQUIRE(in.Rebuild({path}).ok());
  REQUIRE(in.errors.size() == 11);
  CHECK(in.errors[0] == path + ":1: invalid UTF-8");
  CHECK(in.errors[1] == path + ":2: invalid UTF-8");
  CHECK(in.errors[2] == path + ":3: invalid UTF-8");
  CHECK(in.errors[3] == path + ":4: invalid UTF-8");
  CHECK(in.errors[4].rfind(path + ":5: invalid JSON: ", 0) == 0);
  CHECK(in.errors[5] == path + ":6: expected a JSON object, got array");
  CHECK(in.errors[6] == path + ":8: JSON nested deeper than 32");
  CHECK(in.errors[7] == path + ":9: 'id' is empty");
  CHECK(in.errors[8] == path + ":10: 'id' contains a control character");
  CHECK(in.errors[9] == path + ":11: article has no title or body text");
  CHECK(in.errors[10] == path + ":12: 'body.en' must be a string, got number");
  CHECK(in.report.indexed == 2);
  auto e = OpenEngine(db);
  CHECK(e->GetArticle("depth-32").ok());
  CHECK(e->GetArticle("good").ok());
  CHECK(e->DocCount() == 2);
}

TEST_CASE("Many batches: commits during a rebuild, and bad lines spread over batches", "[index][errors]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  std::string input;
  std::vector<int> bad_at;
  for (int i = 1; i <= 2500; ++i) {
    if (i == 300 || i == 1200 || i == 2400) {
      input += "{\"id\": broken\n";
      bad_at.push_back(i);
    } else {
      input += Article("many-" + std::to_string(i), "bulk line " + std::to_string(i));
    }
  }
  const std::string path = t / "many.jsonl";
  WriteFile(path, input);

  for (unsigned threads : {1u, 4u}) {
    INFO("threads " << threads);
    Ingest fail(db);
    fail.opt.threads = threads;
    fail.opt.max_errors = 2;
    REQUIRE_FALSE(fail.Rebuild({path}).ok());
    CHECK(fail.report.rejected == 3);
    REQUIRE(fail.errors.size() == 3);
    for (size_t i = 0; i < 3; ++i)
      CHECK(fail.errors[i].rfind(path + ":" + std::to_string(bad_at[i]) + ": invalid JSON", 0) == 0);
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    CHECK(st->documents == 10);
    CHECK(st->generation == "gen-1");
    CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});
  }

  Ingest ok(db);
  ok.opt.max_errors = 3;
  ok.opt.memory_mb = 64;  // commits every ~1000 documents while building
  REQUIRE(ok.Rebuild({path}).ok());
  CHECK(ok.report.indexed == 2497);
  CHECK(ok.report.rejected == 3);
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 2497);
  CHECK(st->generation == "gen-2");
  auto e = OpenEngine(db);
  CHECK(e->GetArticle("many-1").ok());
  CHECK(e->GetArticle("many-2500").ok());
  CHECK(e->GetArticle("many-1200").status().code() == Code::kNotFound);
  std::string report;
  CHECK(tongwen::Verify(db, &report).ok());
  CHECK(report.find("articles checked: 2497, bad: 0") != std::string::npos);
}

TEST_CASE("Rebuild over many small shards: two-level merge, repeated ids across shards keep the later line",
          "[index][shards]") {
  TempDir t;
  const std::string db = t / "db";
  std::string input;
  for (int i = 1; i <= 300; ++i)
    input += Article("s-" + std::to_string(i), "shard article number" + std::to_string(i));
  // Repeated ids land in other shards than their first line.
  input += Article("s-7", "replaced seven narwhal");
  input += Article("s-250", "replaced two fifty quokka");
  const std::string path = t / "shards.jsonl";
  WriteFile(path, input);
  Ingest in(db);
  in.opt.shard_docs = 2;  // about 150 shards: more than one merge level
  REQUIRE(in.Rebuild({path}).ok());
  CHECK(in.report.indexed == 302);
  CHECK(in.report.replaced == 2);
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 300);
  auto e = OpenEngine(db);
  auto a = e->GetArticle("s-7");
  REQUIRE(a.ok());
  CHECK(json::parse(a->json)["title"]["en"] == "replaced seven narwhal");
  CHECK(SearchIds(*e, "narwhal") == std::vector<std::string>{"s-7"});
  CHECK(SearchIds(*e, "quokka") == std::vector<std::string>{"s-250"});
  CHECK(e->GetArticle("s-1").ok());
  CHECK(e->GetArticle("s-300").ok());
  // No shard or merge leftovers beside the live generation.
  CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});
  std::string report;
  CHECK(tongwen::Verify(db, &report).ok());
  CHECK(report.find("articles checked: 300, bad: 0") != std::string::npos);
}

TEST_CASE("SimHasher: bit i is set when most features' hashes have it (bit-sliced counting)",
          "[index][simhash]") {
  // Reference: the per-bit majority over the features' Fnv1a hashes, for
  // feature counts around the byte-counter flush at 255.
  std::mt19937_64 rng(7);
  for (size_t n : {0u, 1u, 2u, 254u, 255u, 256u, 511u, 1000u}) {
    INFO("features " << n);
    tongwen::SimHasher sim;
    std::array<long, 64> ones{};
    for (size_t i = 0; i < n; ++i) {
      const std::string f = "feature-" + std::to_string(rng());
      sim.Add(f);
      const uint64_t h = tongwen::SimHasher::Fnv1a(f);
      for (int b = 0; b < 64; ++b) ones[b] += (h >> b) & 1;
    }
    uint64_t want = 0;
    for (int b = 0; b < 64; ++b)
      if (2 * ones[b] > static_cast<long>(n)) want |= uint64_t{1} << b;
    CHECK(sim.count() == n);
    CHECK(sim.Finish() == want);
  }
}

TEST_CASE(
    "Near-duplicate groups do not depend on thread timing: named after the first article in input order",
    "[index][duplicates]") {
  // 40 stories of random words; each is repeated (one word changed) 300
  // lines later, in another batch that another worker may build first.
  std::mt19937 rng(11);
  std::vector<std::string> vocab;
  for (int i = 0; i < 3000; ++i) vocab.push_back("w" + std::to_string(rng() % 100000));
  std::vector<std::string> stories;
  for (int s = 0; s < 40; ++s) {
    std::string t;
    for (int k = 0; k < 120; ++k) t += vocab[rng() % vocab.size()] + " ";
    stories.push_back(t);
  }
  std::string input;
  for (int s = 0; s < 40; ++s) input += Article("first-" + std::to_string(s), "story", stories[s]);
  for (int i = 0; i < 300; ++i)
    input += Article("filler-" + std::to_string(i), "filler", vocab[i] + " " + vocab[i + 1]);
  for (int s = 0; s < 40; ++s)
    input += Article("again-" + std::to_string(s), "story", stories[s] + vocab[rng() % vocab.size()]);
  TempDir t;
  WriteFile(t / "dups.jsonl", input);
  auto groups = [&](const std::string& db) {
    Ingest in(db);
    in.opt.threads = 4;
    REQUIRE(in.Rebuild({t / "dups.jsonl"}).ok());
    auto gen = tongwen::LiveGeneration(db);
    REQUIRE(gen.ok());
    Xapian::Database x(*gen);
    std::map<std::string, std::string> out;
    for (Xapian::docid d = 1; d <= x.get_lastdocid(); ++d) {
      Xapian::Document doc = x.get_document(d);
      out[tongwen::ArticleIdOf(doc)] = doc.get_value(tongwen::schema::kSlotDupGroup);
    }
    return out;
  };
  const auto a = groups(t / "a"), b = groups(t / "b");
  CHECK(a == b);
  for (int s = 0; s < 40; ++s) {
    INFO("story " << s);
    CHECK(a.at("first-" + std::to_string(s)) == "first-" + std::to_string(s));
    CHECK(a.at("again-" + std::to_string(s)) == "first-" + std::to_string(s));
  }
}

TEST_CASE("Upsert groups near-duplicates with the articles already indexed", "[index][duplicates][upsert]") {
  std::mt19937 rng(7);
  std::string story;
  for (int k = 0; k < 120; ++k) story += "w" + std::to_string(rng() % 100000) + " ";
  TempDir t;
  auto groups = [&](const std::string& db) {
    auto gen = tongwen::LiveGeneration(db);
    REQUIRE(gen.ok());
    Xapian::Database x(*gen);
    std::map<std::string, std::string> out;
    for (Xapian::PostingIterator p = x.postlist_begin(""); p != x.postlist_end(""); ++p) {
      Xapian::Document doc = x.get_document(*p);
      out[tongwen::ArticleIdOf(doc)] = doc.get_value(tongwen::schema::kSlotDupGroup);
    }
    return out;
  };
  WriteFile(t / "ab.jsonl", Article("a", "wire", story) + Article("b", "repost", story + "extra") +
                                Article("other", "filler", "nothing alike"));
  SECTION("a new repost joins the group of the indexed ones") {
    Ingest in(t / "db");
    REQUIRE(in.Rebuild({t / "ab.jsonl"}).ok());
    WriteFile(t / "c.jsonl", Article("c", "another repost", story + "more"));
    REQUIRE(in.Upsert({t / "c.jsonl"}).ok());
    CHECK(groups(t / "db") ==
          std::map<std::string, std::string>{{"a", "a"}, {"b", "a"}, {"c", "a"}, {"other", "other"}});
  }
  SECTION("a new repost takes the stored group of the indexed one it matches") {
    // With a deleted, b keeps the group name "a"; c must share it, or
    // collapse would not fold b and c.
    Ingest in(t / "db");
    REQUIRE(in.Rebuild({t / "ab.jsonl"}).ok());
    REQUIRE(in.Delete({"a"}).ok());
    WriteFile(t / "c.jsonl", Article("c", "another repost", story + "more"));
    REQUIRE(in.Upsert({t / "c.jsonl"}).ok());
    CHECK(groups(t / "db") == std::map<std::string, std::string>{{"b", "a"}, {"c", "a"}, {"other", "other"}});
  }
  SECTION("an article does not join its own earlier version's group") {
    // b's old version is in a's group; a is gone. The new b (same text) has
    // no other near-duplicate, so it is a group of its own.
    Ingest in(t / "db");
    REQUIRE(in.Rebuild({t / "ab.jsonl"}).ok());
    REQUIRE(in.Delete({"a"}).ok());
    WriteFile(t / "b.jsonl", Article("b", "repost", story + "extra"));
    REQUIRE(in.Upsert({t / "b.jsonl"}).ok());
    CHECK(groups(t / "db") == std::map<std::string, std::string>{{"b", "b"}, {"other", "other"}});
  }
}

// Issue 14 (found by its tests): the bigram filter compared each bigram with
// a view of the analyzer's reused token buffer, so every bigram equalled
// "the current word" and none was indexed. A bigram across two words is a
// term; a bigram that is a whole word is not (the word term stands for it).
TEST_CASE("BuildDocument indexes the bigrams that are not whole words (issue 14)", "[index][analysis]") {
  struct Row {
    const char* text;
    std::vector<std::string> present, absent;
  };
  const std::vector<Row> rows = {
      {"國防預算", {"XB防预"}, {"XB国防", "XB预算"}},
      {"半導體工廠停工", {"XB半导", "XB导体", "XB体工", "XB厂停"}, {"XB工厂", "XB停工"}},
      {"颱風", {}, {"XB台风"}},
  };
  const tongwen::Analyzer an(&testutil::MiniLexicon());
  for (const Row& r : rows) {
    INFO(r.text);
    nlohmann::json j = {{"id", "b1"}, {"body", {{"zh-Hant", r.text}}}};
    auto a = tongwen::ParseArticle(j.dump());
    REQUIRE(a.ok());
    Xapian::Document doc;
    tongwen::BuildDocument(*a, an, {1000, 1000}, &doc);
    std::set<std::string> terms;
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t) terms.insert(*t);
    for (const std::string& t : r.present) CHECK(terms.count(t) == 1);
    for (const std::string& t : r.absent) CHECK(terms.count(t) == 0);
  }
}

// Issue 14 item 1: an article's script sides are exactly its versions. The
// Latin words of a Chinese version (names, numbers) are XZ terms on the Han
// side, apart from the English version's Z terms, so a bilingual article's
// Chinese side cannot match a word through its English version.
TEST_CASE("BuildDocument indexes a Chinese version's Latin words as XZ terms (issue 14)",
          "[index][analysis]") {
  struct Row {
    nlohmann::json title, body;
    std::vector<std::string> present, absent;
    bool latin_side, han_side;  // whether the article has an English, a Chinese version
  };
  const std::vector<Row> rows = {
      {{{"zh-Hant", "AI 晶片出口"}},
       {{"zh-Hant", "6.1 級地震後，TSMC 恢復生產。"}},
       {"XZai", "XZSai", "XZ6.1", "XZtsmc", "晶片", "S晶片"},
       {"Zai", "ZSai", "Z6.1", "Ztsmc"},
       false,
       true},
      {{{"en", "AI chip exports"}},
       {{"en", "TSMC resumed production after the 6.1 earthquake."}},
       {"Zai", "ZSai", "Z6.1", "Ztsmc"},
       {"XZai", "XZSai", "XZ6.1", "XZtsmc"},
       true,
       false},
      // Both versions: each keeps its own terms.
      {{{"en", "AI chip exports"}, {"zh-Hant", "晶片出口"}},
       {{"en", "TSMC resumed production."}, {"zh-Hant", "TSMC 恢復生產。"}},
       {"Zai", "ZSai", "Ztsmc", "XZtsmc", "晶片"},
       {"XZai", "XZSai"},
       true,
       true},
  };
  const tongwen::Analyzer an(&testutil::MiniLexicon());
  for (const Row& r : rows) {
    INFO(r.body.dump());
    nlohmann::json j = {{"id", "x1"}, {"title", r.title}, {"body", r.body}};
    auto a = tongwen::ParseArticle(j.dump());
    REQUIRE(a.ok());
    Xapian::Document doc;
    tongwen::BuildDocument(*a, an, {1000, 1000}, &doc);
    std::set<std::string> terms;
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t) terms.insert(*t);
    for (const std::string& t : r.present) CHECK(terms.count(t) == 1);
    for (const std::string& t : r.absent) CHECK(terms.count(t) == 0);
    for (const std::string& t : terms)
      if (t.rfind("XZ", 0) == 0) CHECK(tongwen::schema::IsHanSideTerm(t));
    const tongwen::VersionLengths len = tongwen::RawVersionLengths(*a, an);
    CHECK((len.latin > 0) == r.latin_side);
    CHECK((len.han > 0) == r.han_side);
  }
}

// The exact-title term (issue 14, exactness): texts that read the same,
// whatever their case, width, script form (Traditional/Simplified),
// punctuation and spacing, share it; a change of words or order does not.
TEST_CASE("ExactTitleTerm: one term for texts that read the same", "[index][analysis]") {
  struct Row {
    const char *a, *b;
    bool same;
  };
  const std::vector<Row> rows = {
      {"Earthquake hits Indonesia", "earthquake HITS indonesia!", true},
      {"Earthquake hits Indonesia", "Ｅａｒｔｈｑｕａｋｅ hits Indonesia", true},
      {"Earthquakes and tsunamis", "earthquakes tsunamis", false},  // stop words count
      {"Earthquake hits Indonesia", "Indonesia earthquake hits", false},
      {"地震和海嘯襲擊印度尼西亞", "地震和海啸袭击印度尼西亚", true},
      {"地震和海嘯襲擊印度尼西亞", "地震 和 海嘯，襲擊印度尼西亞。", true},
      {"地震和海嘯", "海嘯和地震", false},
      {"印尼海嘯死亡人數升至800人", "印尼海嘯死亡人數升至 800 人", true},
  };
  const tongwen::Analyzer an(&testutil::MiniLexicon());
  for (const Row& r : rows) {
    INFO(r.a << " | " << r.b);
    const std::string ta = tongwen::ExactTitleTerm(an, r.a), tb = tongwen::ExactTitleTerm(an, r.b);
    CHECK(ta.rfind("XE", 0) == 0);
    CHECK(ta.size() == 18);
    CHECK((ta == tb) == r.same);
  }
  CHECK(tongwen::ExactTitleTerm(an, "").empty());
  CHECK(tongwen::ExactTitleTerm(an, "。！ -- ").empty());
  // BuildDocument adds one for each version's title, a boolean term that
  // leaves the versions' lengths alone.
  nlohmann::json j = {{"id", "x1"},
                      {"title", {{"en", "Earthquake hits Indonesia"}, {"zh-Hant", "地震襲擊印尼"}}},
                      {"body", {{"en", "Officials reported damage."}, {"zh-Hant", "官員說受損。"}}}};
  auto a = tongwen::ParseArticle(j.dump());
  REQUIRE(a.ok());
  Xapian::Document doc;
  tongwen::BuildDocument(*a, an, {1000, 1000}, &doc);
  for (const char* title : {"earthquake hits indonesia", "地震袭击印尼"}) {
    Xapian::TermIterator t = doc.termlist_begin();
    const std::string term = tongwen::ExactTitleTerm(an, title);
    t.skip_to(term);
    REQUIRE(t != doc.termlist_end());
    CHECK(*t == term);
    CHECK(t.get_wdf() == 0);
  }
}
