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
