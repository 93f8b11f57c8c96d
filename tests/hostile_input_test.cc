// Issue 5: hostile input at the default limits, through the real indexer.
// Each bad line is rejected (or truncated) as documented in the README, with
// FILE:LINE, the good lines around it are indexed, and nothing crashes.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "test_util.h"

#include "tongwen/engine.h"
#include "tongwen/index.h"

using testutil::Run;
using testutil::TempDir;

namespace {

std::string Good(const std::string& id, const std::string& body) {
  return R"({"id":")" + id + R"(","published":"2024-05-01","title":{"en":"Harbour notice )" + id +
         R"("},"body":{"en":")" + body + R"("}})";
}

}  // namespace

TEST_CASE("issue 5: hostile lines are rejected or truncated with FILE:LINE, good lines survive",
          "[index][hostile]") {
  TempDir t;
  const std::string input = t / "hostile.jsonl";
  {
    std::ofstream out(input, std::ios::binary);
    out << Good("ok-1", "The ferry to Kinmen leaves at dawn.") << "\n";  // line 1
    out << R"({"id":"big-body","title":{"en":"Huge"},"body":{"en":")"
        << std::string(50 << 20, 'a')  // line 2: 50 MB
        << R"("}})"
        << "\n";
    out << std::string(10'000'000, 'x') << "\n";                            // line 3: 10M chars
    out << std::string(100'000, '[') << std::string(100'000, ']') << "\n";  // line 4: deep nesting
    out << R"({"id":"bad-utf8","title":{"en":"caf)" << '\xC3' << '\x28' << R"("}})"
        << "\n";  // line 5
    out << R"({"id":"nul-raw","title":{"en":"a)" << '\0' << R"(b"}})"
        << "\n";  // line 6: raw NUL
    out << R"({"id":"nul-escaped","title":{"en":"a\u0000b"}})"
        << "\n";                                                                          // line 7
    out << Good("ok-2", "Typhoon warnings were lifted for the Penghu islands.") << "\n";  // line 8
    // A 2 MB body is under the 8 MiB line limit but over the 1 MiB field
    // limit: truncated and indexed.
    out << R"({"id":"long-body","title":{"en":"Long"},"body":{"en":")" << std::string(2 << 20, 'b')
        << R"( tail"}})"
        << "\n";  // line 9
  }
  const std::string db = t / "db";
  std::string out;
  const int code = Run("'" + testutil::BinPath("indexer") + "' rebuild --db '" + db +
                           "' --no-dictionary --progress=none '" + input + "'",
                       &out);
  INFO(out.substr(0, 4000));
  REQUIRE(code == 0);
  CHECK(out.find(input + ":2: line is longer than 8388608 bytes") != std::string::npos);
  CHECK(out.find(input + ":3: line is longer than 8388608 bytes") != std::string::npos);
  CHECK(out.find(input + ":4: JSON nested deeper than 32") != std::string::npos);
  CHECK(out.find(input + ":5: invalid UTF-8") != std::string::npos);
  CHECK(out.find(input + ":6: invalid JSON") != std::string::npos);
  CHECK(out.find(input + ":7: 'title.en' contains a NUL character") != std::string::npos);
  CHECK(out.find("read 9, indexed 3") != std::string::npos);
  CHECK(out.find("rejected 6") != std::string::npos);
  CHECK(out.find("truncated 1") != std::string::npos);

  tongwen::EngineOptions eo;
  eo.db_dir = db;
  auto engine = tongwen::Engine::Open(eo);
  REQUIRE(engine.ok());
  CHECK((*engine)->DocCount() == 3);
  CHECK((*engine)->GetArticle("ok-1").ok());
  CHECK((*engine)->GetArticle("ok-2").ok());
  auto long_body = (*engine)->GetArticle("long-body");
  REQUIRE(long_body.ok());
  CHECK(long_body->json.size() < (1 << 20) + 1000);           // stored truncated
  CHECK(long_body->json.find(" tail") == std::string::npos);  // the part past 1 MiB is gone
  CHECK((*engine)->GetArticle("big-body").status().code() == tongwen::Code::kNotFound);
}

namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

// Issue 15 (found with the article fuzz target's term-length check): Xapian
// refuses a term over 245 bytes, and with it the whole batch, so one line
// with a long source, section, language tag or original_language, or a long
// run of Hangul that ICU keeps as one word, failed the whole rebuild ("cancel()
// not supported under Xapian::DB_DANGEROUS") or upsert. Such a line is now
// rejected with a reason (the metadata), or indexed by its bigrams (the text).
TEST_CASE("issue 15: a term too long for Xapian fails one line, not the whole run",
          "[index][hostile][issue15]") {
  TempDir t;
  const std::string input = t / "long_terms.jsonl";
  const std::string hangul = Repeat("한국어문장은띄어쓰기없이", 10);  // 120 characters, 360 bytes, no spaces
  {
    std::ofstream out(input, std::ios::binary);
    out << Good("ok-1", "The ferry to Kinmen leaves at dawn.") << "\n";  // 1
    out << R"({"id":"long-source","source":")" << std::string(300, 'S') << R"(","title":{"en":"a"}})"
        << "\n";  // 2
    out << R"({"id":"long-section","section":")" << std::string(201, 'x') << R"(","title":{"en":"a"}})"
        << "\n";  // 3
    out << R"({"id":"long-tag","title":{")" << std::string(300, 'e') << R"(":"Harbour notice"}})"
        << "\n";  // 4
    out << R"({"id":"long-original","original_language":")" << std::string(65, 'z')
        << R"(","title":{"en":"Harbour notice"}})"
        << "\n";  // 5
    out << R"({"id":"hangul","title":{"ko":")" << hangul << R"("}})"
        << "\n";  // 6
    out << R"({"id":"limits-ok","source":")" << std::string(200, 's') << R"(","section":")"
        << std::string(200, 'c') << R"(","original_language":")" << std::string(64, 'o') << R"(","title":{")"
        << std::string(64, 't') << R"(":"Harbour notice"}})"
        << "\n";  // 7
  }
  const std::string db = t / "db";
  const std::string indexer = "'" + testutil::BinPath("indexer") + "'";
  std::string out;
  int code =
      Run(indexer + " rebuild --db '" + db + "' --no-dictionary --progress=none '" + input + "'", &out);
  INFO(out);
  REQUIRE(code == 0);
  CHECK(out.find(input + ":2: field 'source' is longer than 200 bytes") != std::string::npos);
  CHECK(out.find(input + ":3: field 'section' is longer than 200 bytes") != std::string::npos);
  CHECK(out.find(input + ":4: 'title' has a language tag longer than 64 bytes") != std::string::npos);
  CHECK(out.find(input + ":5: field 'original_language' is longer than 64 bytes") != std::string::npos);
  CHECK(out.find("read 7, indexed 3 (replaced 0), deleted 0, rejected 4") != std::string::npos);
  {
    tongwen::EngineOptions eo;
    eo.db_dir = db;
    auto engine = tongwen::Engine::Open(eo);
    REQUIRE(engine.ok());
    CHECK((*engine)->DocCount() == 3);
    CHECK((*engine)->GetArticle("hangul").ok());
    CHECK((*engine)->GetArticle("limits-ok").ok());
    // The long Hangul "word" is found by its bigrams.
    tongwen::SearchRequest req;
    req.q = "띄어";
    req.cross = tongwen::SearchRequest::Cross::kOff;
    auto r = (*engine)->Search(req);
    REQUIRE(r.ok());
    REQUIRE(r->hits.size() == 1);
    CHECK(r->hits[0].id == "hangul");
  }
  std::string verify;
  CHECK(Run(indexer + " verify --db '" + db + "'", &verify) == 0);

  // Upsert: the same lines, one transaction that now commits.
  code = Run(indexer + " upsert --db '" + db + "' --no-dictionary --progress=none '" + input + "'", &out);
  CHECK(code == 0);
  CHECK(out.find("read 7, indexed 3 (replaced 3), deleted 0, rejected 4") != std::string::npos);
}
