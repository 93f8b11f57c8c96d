// The `indexer` command-line tool, run as a real process (build/bin/indexer).
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "schema/schema.h"
#include "test_util.h"

#include "tongwen/engine.h"
#include "tongwen/index.h"

namespace fs = std::filesystem;
using nlohmann::json;
using testutil::DataPath;
using testutil::ReadFile;
using testutil::Run;
using testutil::TempDir;
using testutil::WriteFile;

namespace {

std::string Q(const std::string& s) { return "'" + s + "'"; }

std::string Indexer() { return Q(testutil::BinPath("indexer")); }

struct Outcome {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `indexer ARGS` with stdout and stderr captured separately.
Outcome RunIndexer(const TempDir& t, const std::string& args, const std::string& stdin_from = "") {
  const std::string err = t / "stderr.txt";
  std::string cmd = "(";
  if (!stdin_from.empty()) cmd += "cat " + Q(stdin_from) + " | ";
  cmd += Indexer() + " " + args + " 2>" + Q(err) + ")";
  Outcome o;
  o.code = Run(cmd, &o.out);
  o.err = ReadFile(err);
  return o;
}

bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(l);
  return out;
}

// "key: value" lines of `indexer stats`.
std::map<std::string, std::string> StatsFields(const std::string& out) {
  std::map<std::string, std::string> m;
  for (const std::string& l : Lines(out)) {
    auto p = l.find(':');
    if (p == std::string::npos) continue;
    std::string v = l.substr(p + 1);
    if (!v.empty() && v[0] == ' ') v.erase(0, 1);
    m[l.substr(0, p)] = v;
  }
  return m;
}

const std::string kNoDict = " --no-dictionary --progress=none ";

}  // namespace

TEST_CASE("indexer: usage errors exit 2 with a message and touch nothing", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string fx = Q(DataPath("fixture.jsonl"));
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"", "usage:"},
      {"frobnicate --db " + Q(db), "indexer: unknown command frobnicate"},
      {"rebuild " + kNoDict + fx, "indexer: rebuild needs --db DIR"},
      {"stats", "indexer: stats needs --db DIR"},
      {"rebuild --db " + Q(db) + " --max-errors abc " + fx,
       "indexer: --max-errors needs a non-negative integer"},
      {"rebuild --db " + Q(db) + " --max-errors -1 " + fx,
       "indexer: --max-errors needs a non-negative integer"},
      {"rebuild --db " + Q(db) + " --max-errors=12x " + fx,
       "indexer: --max-errors needs a non-negative integer"},
      {"rebuild --db " + Q(db) + " " + fx + " --max-errors",
       "indexer: --max-errors needs a non-negative integer"},
      {"rebuild --db " + Q(db) + " --bogus " + fx, "indexer: unknown option --bogus"},
      {"rebuild --db " + Q(db) + " --threads 0 " + fx, "indexer: --threads needs an integer 1..256"},
      {"rebuild --db " + Q(db) + " --progress=fancy " + fx,
       "indexer: --progress must be auto, tty, log, json or none"},
      {"rebuild --db " + Q(db) + kNoDict, "indexer: rebuild needs at least one FILE (or '-')"},
      {"upsert --db " + Q(db) + kNoDict, "indexer: upsert needs at least one FILE (or '-')"},
      {"delete --db " + Q(db), "indexer: delete needs at least one ID"},
      {"compile-dictionary " + Q(DataPath("mini_cedict.u8")),
       "indexer: compile-dictionary needs CEDICT and OUT"},
  };
  for (const Case& c : cases) {
    INFO("indexer " << c.args);
    Outcome o = RunIndexer(t, c.args);
    CHECK(o.code == 2);
    CHECK(Has(o.err, c.message));
    CHECK(Has(o.err, "usage:"));
  }
  CHECK_FALSE(fs::exists(db));

  Outcome help = RunIndexer(t, "--help");
  CHECK(help.code == 0);
  CHECK(Has(help.out, "indexer rebuild --db DIR"));
}

TEST_CASE("indexer rebuild prints a summary; stats prints every field", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  Outcome o = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl")));
  REQUIRE(o.code == 0);
  CHECK(Has(o.out, "read 10, indexed 10 (replaced 0), deleted 0, rejected 0 in "));
  CHECK(o.err.empty());

  Outcome s = RunIndexer(t, "stats --db " + Q(db));
  REQUIRE(s.code == 0);
  auto f = StatsFields(s.out);
  CHECK(f["documents"] == "10");
  CHECK(f["languages"] == "en=7 zh=6");
  CHECK(f["date range"] == "2019-05-20 .. 2024-02-29");
  CHECK(std::regex_match(f["size"], std::regex(R"([1-9][0-9]* bytes \([0-9.]+ [KMG]B\))")));
  CHECK(f["generation"] == "gen-1");
  CHECK(f["schema"] == tongwen::schema::kSchemaVersion);

  Outcome missing = RunIndexer(t, "stats --db " + Q(t / "nothing"));
  CHECK(missing.code == 1);
  CHECK(Has(missing.err, "no database here"));
}

TEST_CASE("indexer: bad lines go to stderr as FILE:LINE: reason", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  const std::string bad = DataPath("bad_lines.jsonl");
  Outcome o = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(bad));
  REQUIRE(o.code == 0);
  CHECK(Has(o.out, "read 13, indexed 4 (replaced 0), deleted 0, rejected 9 ["));
  std::vector<std::string> errs = Lines(o.err);
  const std::vector<int> bad_lines = {2, 4, 6, 7, 8, 9, 11, 12, 15};
  REQUIRE(errs.size() == bad_lines.size());
  for (size_t i = 0; i < bad_lines.size(); ++i)
    CHECK(errs[i].rfind(bad + ":" + std::to_string(bad_lines[i]) + ": ", 0) == 0);
  CHECK(errs[1] == bad + ":4: missing 'id'");
  CHECK(errs[3] == bad + ":7: invalid UTF-8");
}

TEST_CASE("indexer --max-errors: too many bad lines exit 1 and leave the database unchanged", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  REQUIRE(RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl"))).code == 0);

  Outcome o =
      RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + "--max-errors 0 " + Q(DataPath("bad_lines.jsonl")));
  CHECK(o.code == 1);
  CHECK(Has(o.err, "too many bad lines"));
  CHECK(Has(o.err, "the database is unchanged"));
  CHECK(Has(o.err, DataPath("bad_lines.jsonl") + ":2: invalid JSON"));

  auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
  CHECK(f["documents"] == "10");
  CHECK(f["generation"] == "gen-1");
  CHECK(f["languages"] == "en=7 zh=6");
  for (const auto& e : fs::directory_iterator(db)) CHECK(e.path().filename().string().rfind("tmp-", 0) != 0);

  Outcome u =
      RunIndexer(t, "upsert --db " + Q(db) + kNoDict + "--max-errors=3 " + Q(DataPath("bad_lines.jsonl")));
  CHECK(u.code == 1);
  CHECK(Has(u.err, "upsert failed"));
  CHECK(StatsFields(RunIndexer(t, "stats --db " + Q(db)).out)["documents"] == "10");

  Outcome enough = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + "--max-errors=9 --allow-shrink " +
                                     Q(DataPath("bad_lines.jsonl")));  // 10 articles -> 4, on purpose
  CHECK(enough.code == 0);
  f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
  CHECK(f["documents"] == "4");
  CHECK(f["generation"] == "gen-2");
}

TEST_CASE("indexer reads stdin ('-') and .gz files", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  Outcome o = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + "-", DataPath("fixture.jsonl"));
  REQUIRE(o.code == 0);
  CHECK(Has(o.out, "read 10, indexed 10"));
  CHECK(StatsFields(RunIndexer(t, "stats --db " + Q(db)).out)["documents"] == "10");

  // Errors on stdin are located as -:LINE.
  Outcome b = RunIndexer(t, "upsert --db " + Q(db) + kNoDict + "-", DataPath("bad_lines.jsonl"));
  REQUIRE(b.code == 0);
  CHECK(Has(b.err, "-:4: missing 'id'\n"));
  CHECK(Has(b.out, "indexed 4 (replaced 0)"));
  CHECK(StatsFields(RunIndexer(t, "stats --db " + Q(db)).out)["documents"] == "14");

  std::string ignored;
  REQUIRE(Run("gzip -c " + Q(DataPath("fixture.jsonl")) + " > " + Q(t / "fx.jsonl.gz"), &ignored) == 0);
  Outcome g = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(t / "fx.jsonl.gz"));
  REQUIRE(g.code == 0);
  CHECK(Has(g.out, "read 10, indexed 10 (replaced 0)"));
  auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
  CHECK(f["documents"] == "10");
  CHECK(f["generation"] == "gen-2");
}

TEST_CASE("indexer rebuild of a truncated .gz fails and says the database is unchanged", "[cli][gz]") {
  TempDir t;
  const std::string db = t / "db";
  REQUIRE(RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl"))).code == 0);
  std::string big;
  for (int i = 0; i < 400; ++i)
    big += "{\"id\":\"gz-" + std::to_string(i) + "\",\"title\":{\"en\":\"archive item " +
           std::to_string(i * 7919) + "\"},\"body\":{\"en\":\"paragraph " + std::to_string(i * 104729) +
           "\"}}\n";
  WriteFile(t / "big.jsonl", big);
  std::string ignored;
  REQUIRE(Run("gzip -c " + Q(t / "big.jsonl") + " > " + Q(t / "big.jsonl.gz"), &ignored) == 0);
  const std::string gz = ReadFile(t / "big.jsonl.gz");
  WriteFile(t / "cut.jsonl.gz", gz.substr(0, gz.size() / 2));
  REQUIRE(Run("gzip -t " + Q(t / "cut.jsonl.gz"), &ignored) != 0);  // gzip itself calls it damaged

  Outcome o = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(t / "cut.jsonl.gz"));
  CHECK(o.code == 1);
  CHECK(Has(o.err, "the database is unchanged"));
  auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
  CHECK(f["documents"] == "10");
  CHECK(f["generation"] == "gen-1");
}

TEST_CASE("indexer --progress=json counts the bytes read, also from stdin", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  const size_t size = ReadFile(DataPath("fixture.jsonl")).size();
  for (bool from_stdin : {false, true}) {
    INFO((from_stdin ? "stdin" : "file"));
    Outcome o = from_stdin ? RunIndexer(t, "rebuild --db " + Q(db) + " --no-dictionary --progress=json -",
                                        DataPath("fixture.jsonl"))
                           : RunIndexer(t, "rebuild --db " + Q(db) + " --no-dictionary --progress=json " +
                                               Q(DataPath("fixture.jsonl")));
    REQUIRE(o.code == 0);
    std::vector<std::string> lines = Lines(o.out);
    REQUIRE(lines.size() >= 2);
    json fin = json::parse(lines[lines.size() - 2]);
    json sum = json::parse(lines.back());
    REQUIRE(fin["final"] == true);
    CHECK(sum["bytes"] == size);
    CHECK(fin["read"] == 10);
    CHECK(fin["bytes_total"] == (from_stdin ? 0 : size));  // unknown for a pipe
    CHECK(fin["bytes"] == size);
  }
}

TEST_CASE("indexer --progress=json prints JSON lines ending with a summary", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  Outcome o = RunIndexer(t, "rebuild --db " + Q(db) + " --no-dictionary --progress=json " +
                                Q(DataPath("fixture.jsonl")) + " " + Q(DataPath("bad_lines.jsonl")));
  REQUIRE(o.code == 0);
  std::vector<std::string> lines = Lines(o.out);
  REQUIRE(lines.size() >= 2);
  std::vector<json> events;
  for (const std::string& l : lines) {
    INFO(l);
    REQUIRE(json::accept(l));
    events.push_back(json::parse(l));
    CHECK(events.back().contains("event"));
  }
  const json& last = events.back();
  CHECK(last["event"] == "summary");
  CHECK(last["read"] == 23);
  CHECK(last["indexed"] == 14);
  CHECK(last["replaced"] == 0);
  CHECK(last["rejected"] == 9);
  CHECK(last["truncated"] == 0);
  CHECK(last["bytes"] ==
        ReadFile(DataPath("fixture.jsonl")).size() + ReadFile(DataPath("bad_lines.jsonl")).size());
  REQUIRE(last["reasons"].is_object());
  CHECK(last["reasons"].size() == 9);
  CHECK(last["reasons"]["missing 'id'"] == 1);
  CHECK(last["reasons"]["invalid JSON"] == 1);
  const json& final_progress = events[events.size() - 2];
  CHECK(final_progress["event"] == "progress");
  CHECK(final_progress["final"] == true);
  CHECK(final_progress["read"] == 23);
  CHECK(final_progress["rejected"] == 9);
  CHECK(final_progress["phase"] == "done");
  CHECK(events[events.size() - 3]["phase"] == "merging");
  for (size_t i = 0; i + 1 < events.size(); ++i) CHECK(events[i]["event"] == "progress");
  // stderr has the bad lines, not JSON.
  CHECK(Lines(o.err).size() == 9);

  Outcome d = RunIndexer(t, "delete --db " + Q(db) + " --progress=json fx-en-003 nope");
  REQUIRE(d.code == 0);
  json dj = json::parse(Lines(d.out).back());
  CHECK(dj["event"] == "summary");
  CHECK(dj["deleted"] == 1);
  CHECK(dj["not_found"] == 1);
}

TEST_CASE("indexer upsert and delete change articles by id", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  REQUIRE(RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl"))).code == 0);
  WriteFile(t / "up.jsonl",
            "{\"id\":\"fx-en-003\",\"title\":{\"en\":\"Ferry operator renames its catamaran\"}}\n"
            "{\"id\":\"cli-new\",\"title\":{\"en\":\"Snow closes mountain pass\"}}\n");
  Outcome u = RunIndexer(t, "upsert --db " + Q(db) + kNoDict + Q(t / "up.jsonl"));
  REQUIRE(u.code == 0);
  CHECK(Has(u.out, "read 2, indexed 2 (replaced 1), deleted 0, rejected 0"));
  CHECK(StatsFields(RunIndexer(t, "stats --db " + Q(db)).out)["documents"] == "11");

  Outcome d = RunIndexer(t, "delete --db " + Q(db) + " fx-en-003 fx-tw-009 no-such-article");
  REQUIRE(d.code == 0);
  CHECK(Has(d.out, "read 3, indexed 0 (replaced 0), deleted 2 (not found 1), rejected 0"));
  auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
  CHECK(f["documents"] == "9");
  CHECK(f["generation"] == "gen-1");

  tongwen::EngineOptions eo;
  eo.db_dir = db;
  auto e = tongwen::Engine::Open(eo);
  REQUIRE(e.ok());
  CHECK((*e)->GetArticle("fx-en-003").status().code() == tongwen::Code::kNotFound);
  CHECK((*e)->GetArticle("fx-tw-009").status().code() == tongwen::Code::kNotFound);
  CHECK((*e)->GetArticle("cli-new").ok());

  Outcome none = RunIndexer(t, "delete --db " + Q(t / "nothing") + " fx-en-003");
  CHECK(none.code == 1);
  CHECK(Has(none.err, "indexer: "));
}

TEST_CASE("indexer verify", "[cli]") {
  TempDir t;
  const std::string db = t / "db";
  REQUIRE(RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl"))).code == 0);
  Outcome v = RunIndexer(t, "verify --db " + Q(db));
  CHECK(v.code == 0);
  CHECK(Has(v.out, "articles checked: 10, bad: 0"));
  const auto lines = Lines(v.out);
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back() == "OK");

  Outcome missing = RunIndexer(t, "verify --db " + Q(t / "nothing"));
  CHECK(missing.code == 1);
  CHECK_FALSE(Has(missing.out, "OK"));
  CHECK(Has(missing.err, "indexer: "));
}

TEST_CASE("indexer compile-dictionary", "[cli][dictionary]") {
  TempDir t;
  const std::string lex = t / "mini.lex";
  Outcome c = RunIndexer(t, "compile-dictionary " + Q(DataPath("mini_cedict.u8")) + " " + Q(lex));
  REQUIRE(c.code == 0);
  CHECK(Has(c.out, "compiled " + std::to_string(testutil::MiniLexicon().size()) + " headwords into " + lex));
  CHECK(testutil::MiniLexicon().size() > 50);
  REQUIRE(fs::exists(lex));
  auto opened = tongwen::Lexicon::Open(lex);
  REQUIRE(opened.ok());
  CHECK((*opened)->size() == testutil::MiniLexicon().size());
  CHECK((*opened)->Contains("台积电"));

  // The compiled lexicon is usable for indexing.
  const std::string db = t / "db";
  Outcome r = RunIndexer(t, "rebuild --db " + Q(db) + " --progress=none --dictionary " + Q(lex) + " " +
                                Q(DataPath("fixture.jsonl")));
  CHECK(r.code == 0);
  CHECK(Has(r.out, "indexed 10"));

  Outcome bad = RunIndexer(t, "compile-dictionary " + Q(DataPath("fixture.jsonl")) + " " + Q(t / "bad.lex"));
  CHECK(bad.code == 1);
  CHECK(Has(bad.err, "indexer: "));
  CHECK_FALSE(fs::exists(t / "bad.lex"));

  Outcome missing = RunIndexer(t, "compile-dictionary " + Q(t / "no-such.u8") + " " + Q(t / "x.lex"));
  CHECK(missing.code == 1);
  CHECK(Has(missing.err, "indexer: "));

  Outcome baddict = RunIndexer(t, "rebuild --db " + Q(t / "db2") + " --progress=none --dictionary " +
                                      Q(t / "no-such.lex") + " " + Q(DataPath("fixture.jsonl")));
  CHECK(baddict.code == 1);
  CHECK(Has(baddict.err, "indexer: dictionary: "));
  CHECK_FALSE(fs::exists(t / "db2/XAPIANDB"));
}

// Issue 15: a rebuild from an empty file, from lines that are all rejected
// or from a pipe whose producer failed swapped in an empty database and
// exited 0. It must refuse to lose more than half the articles (unless
// --allow-shrink), exit 1 naming the database and the counts, and leave the
// old database served.
TEST_CASE("issue 15: rebuild refuses to replace a database with an empty or much smaller one",
          "[cli][issue15][shrink]") {
  TempDir t;
  const std::string db = t / "db";
  REQUIRE(RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl"))).code == 0);
  testutil::Searchd searchd(db, {"--quiet"});
  REQUIRE(searchd.ok());
  auto served_hits = [&] {
    std::string body;
    if (searchd.Get("/search?q=ferry", &body) != 200) return -1;
    return json::parse(body)["total"].get<int>();
  };
  const int hits_before = served_hits();
  REQUIRE(hits_before > 0);

  WriteFile(t / "empty.jsonl", "");
  WriteFile(t / "all_bad.jsonl", "garbage\n{\"title\":{\"en\":\"no id\"}}\n{\"id\":7}\n");
  struct Case {
    std::string name, command;
    int kept, read, rejected;
  };
  const std::vector<Case> cases = {
      {"empty file", Indexer() + " rebuild --db " + Q(db) + kNoDict + Q(t / "empty.jsonl"), 0, 0, 0},
      {"every line rejected", Indexer() + " rebuild --db " + Q(db) + kNoDict + Q(t / "all_bad.jsonl"), 0, 3,
       3},
      {"failed pipe",
       "zcat " + Q(t / "missing.jsonl.gz") + " | " + Indexer() + " rebuild --db " + Q(db) + kNoDict + "-", 0,
       0, 0},
      // 4 good lines of 13: more than half the 10 articles would be lost.
      {"lost 60%", Indexer() + " rebuild --db " + Q(db) + kNoDict + Q(DataPath("bad_lines.jsonl")), 4, 13, 9},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string err = t / "err.txt";
    Outcome o;
    o.code = Run("((" + c.command + ") 2>" + Q(err) + ")", &o.out);
    o.err = ReadFile(err);
    INFO(o.out << o.err);
    CHECK(o.code == 1);
    CHECK(Has(o.err, "indexer: rebuild failed: invalid_argument: refusing to replace " + db +
                         " (10 articles) with " + std::to_string(c.kept) + " articles (" +
                         std::to_string(c.read) + " lines read, " + std::to_string(c.rejected) +
                         " rejected): that loses more than 50% of them"));
    CHECK(Has(o.err, "--allow-shrink"));
    CHECK(Has(o.err, "the database is unchanged"));
    CHECK(o.out.rfind("FAILED, nothing written: read " + std::to_string(c.read) + ", indexed 0", 0) == 0);
    auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
    CHECK(f["documents"] == "10");
    CHECK(f["generation"] == "gen-1");
    for (const auto& e : fs::directory_iterator(db))
      CHECK(e.path().filename().string().rfind("tmp-", 0) != 0);
    CHECK(served_hits() == hits_before);  // still served
  }

  // JSON mode says so too.
  Outcome j =
      RunIndexer(t, "rebuild --db " + Q(db) + " --no-dictionary --progress=json " + Q(t / "empty.jsonl"));
  CHECK(j.code == 1);
  json sum = json::parse(Lines(j.out).back());
  CHECK(sum["event"] == "summary");
  CHECK(sum["ok"] == false);
  CHECK(sum["indexed"] == 0);
  CHECK(Has(sum["error"].get<std::string>(), "refusing to replace " + db));

  // Losing exactly half is allowed; so is anything with --allow-shrink.
  std::string half;
  for (const std::string& l : Lines(ReadFile(DataPath("fixture.jsonl")))) {
    if (Lines(half).size() == 5) break;
    half += l + "\n";
  }
  WriteFile(t / "half.jsonl", half);
  Outcome h = RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(t / "half.jsonl"));
  CHECK(h.code == 0);
  CHECK(StatsFields(RunIndexer(t, "stats --db " + Q(db)).out)["documents"] == "5");
  Outcome allowed =
      RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + "--allow-shrink " + Q(t / "empty.jsonl"));
  CHECK(allowed.code == 0);
  CHECK(Has(allowed.err,
            "indexer: warning: the input held no article; " + db + " now holds an empty database"));
  auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
  CHECK(f["documents"] == "0");
  CHECK(f["generation"] == "gen-3");

  // A first rebuild from nothing loses nothing: it makes an empty database, with a warning.
  Outcome fresh = RunIndexer(t, "rebuild --db " + Q(t / "fresh") + kNoDict + Q(t / "empty.jsonl"));
  CHECK(fresh.code == 0);
  CHECK(Has(fresh.err, "indexer: warning: the input held no article"));
}

// Issue 15: a rebuild or upsert of a truncated or corrupt .gz exited 1 but
// its summary said "indexed 19". The summary must say the run failed and
// wrote nothing, naming the file and the line; nothing stored is lost.
TEST_CASE("issue 15: a failed .gz run says FAILED with the file and line, not 'indexed N'",
          "[cli][gz][issue15]") {
  TempDir t;
  const std::string db = t / "db";
  REQUIRE(RunIndexer(t, "rebuild --db " + Q(db) + kNoDict + Q(DataPath("fixture.jsonl"))).code == 0);
  std::string big;
  for (int i = 0; i < 400; ++i)
    big += "{\"id\":\"gz-" + std::to_string(i) + "\",\"title\":{\"en\":\"archive item " +
           std::to_string(i * 7919) + "\"},\"body\":{\"en\":\"paragraph " + std::to_string(i * 104729) +
           "\"}}\n";
  WriteFile(t / "big.jsonl", big);
  std::string ignored;
  REQUIRE(Run("gzip -c " + Q(t / "big.jsonl") + " > " + Q(t / "big.jsonl.gz"), &ignored) == 0);
  const std::string gz = ReadFile(t / "big.jsonl.gz");
  const std::string cut = t / "cut.jsonl.gz", flip = t / "flip.jsonl.gz";
  WriteFile(cut, gz.substr(0, gz.size() / 2));
  std::string flipped = gz;
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i)
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
  WriteFile(flip, flipped);

  for (const std::string cmd : {"rebuild", "upsert"})
    for (const std::string& file : {cut, flip}) {
      INFO(cmd << " " << file);
      Outcome o = RunIndexer(t, cmd + " --db " + Q(db) + kNoDict + Q(file));
      INFO(o.out << o.err);
      CHECK(o.code == 1);
      CHECK(Has(o.err, "indexer: " + cmd + " failed: io_error: " + file + ": read error at line "));
      CHECK(Has(o.err, "the database is unchanged"));
      CHECK_FALSE(Has(o.err, "<fd:"));
      CHECK(o.out.rfind("FAILED, nothing written: read ", 0) == 0);
      CHECK(Has(o.out, ", indexed 0 (replaced 0)"));
      CHECK(Has(o.out, file + ": read error at line "));
      // The partial line before the error is not read as a line: the error is
      // on the line after the last one read, and nothing is rejected.
      std::smatch m;
      REQUIRE(
          std::regex_search(o.out, m, std::regex(R"(read (\d+), indexed 0 .* read error at line (\d+):)")));
      CHECK(std::stoi(m[2]) == std::stoi(m[1]) + 1);
      CHECK(Has(o.out, "rejected 0"));
      if (file == cut) CHECK(Has(o.out, "not written " + std::string(m[1])));
      auto f = StatsFields(RunIndexer(t, "stats --db " + Q(db)).out);
      CHECK(f["documents"] == "10");
      CHECK(f["generation"] == "gen-1");
    }

  Outcome j = RunIndexer(t, "upsert --db " + Q(db) + " --no-dictionary --progress=json " + Q(cut));
  CHECK(j.code == 1);
  json sum = json::parse(Lines(j.out).back());
  CHECK(sum["ok"] == false);
  CHECK(sum["indexed"] == 0);
  CHECK(sum["not_written"].get<int>() > 0);
  CHECK(Has(sum["error"].get<std::string>(), cut + ": read error at line "));
}
