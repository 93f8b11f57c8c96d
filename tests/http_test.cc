// HTTP API tests: run the real searchd (build/bin/searchd) on a database
// built from the sample archive (data/sample/articles.jsonl) and talk to it.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.h"

#include "tongwen/analysis.h"
#include "tongwen/index.h"

using nlohmann::json;
using testutil::UrlEncode;

namespace {

std::string SamplePath() { return std::string(TONGWEN_SOURCE_DIR) + "/data/sample/articles.jsonl"; }

// One searchd on the sample archive, shared by the test cases that only read.
struct SampleServer {
  testutil::TempDir dir;
  std::string db;
  std::unique_ptr<testutil::Searchd> searchd;
  std::map<std::string, json> articles;  // the archive, by id

  SampleServer() : db(dir / "db") {
    tongwen::IngestOptions io;
    io.db_dir = db;
    io.lexicon = testutil::FullLexicon();  // searchd loads the same one by default
    io.threads = 2;
    tongwen::IngestReport rep;
    tongwen::Status s = tongwen::Rebuild(io, {SamplePath()}, &rep);
    if (!s.ok()) throw std::runtime_error("rebuild: " + s.ToString());
    std::ifstream in(SamplePath());
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) {
        json j = json::parse(line);
        articles[j["id"].get<std::string>()] = j;
      }
    searchd = std::make_unique<testutil::Searchd>(db, std::vector<std::string>{"--quiet"});
    if (!searchd->ok()) throw std::runtime_error("searchd did not start; see " + searchd->log());
  }
};

SampleServer& Sample() {
  static SampleServer s;
  return s;
}

using testutil::Reply;

Reply Get(const testutil::Searchd& sd, const std::string& target) {
  std::string body;
  const int status = sd.Get(target, &body);
  return testutil::MakeReply(status, std::move(body));
}

Reply Search(const testutil::Searchd& sd, const std::string& q, const std::string& extra = "") {
  return Get(sd, "/search?q=" + UrlEncode(q) + (extra.empty() ? "" : "&" + extra));
}

std::vector<std::string> HitIds(const json& j) {
  std::vector<std::string> ids;
  if (j.is_object() && j.contains("hits"))
    for (const auto& h : j["hits"]) ids.push_back(h.value("id", ""));
  return ids;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

const json* HitById(const json& j, const std::string& id) {
  for (const auto& h : j["hits"])
    if (h.value("id", "") == id) return &h;
  return nullptr;
}

bool DictionaryLoaded(const testutil::Searchd& sd) {
  Reply h = Get(sd, "/health");
  return h.status == 200 && h.j.is_object() && h.j.value("dictionary", "").rfind("loaded", 0) == 0;
}

using testutil::CheckErrorEnvelope;

// GET /metrics until it contains `needle` (a request is recorded just after
// its response is sent, so the previous request may still be in flight).
Reply MetricsWith(const testutil::Searchd& sd, const std::string& needle) {
  Reply r;
  for (int i = 0; i < 40; ++i) {
    r = Get(sd, "/metrics");
    if (r.body.find(needle) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return r;
}

std::string WriteSmallArchive(const std::string& path, const std::string& id, const std::string& text) {
  json j = {{"id", id},
            {"source", "Test Wire"},
            {"published", "2024-06-01"},
            {"title", {{"en", text}}},
            {"body", {{"en", "Officials confirmed: " + text + "."}}}};
  testutil::WriteFile(path, j.dump() + "\n");
  return path;
}

}  // namespace

TEST_CASE("GET /health answers JSON", "[http]") {
  auto& s = Sample();
  Reply r = Get(*s.searchd, "/health");
  INFO(r.body);
  CHECK(r.status == 200);
  REQUIRE(r.j.is_object());
  CHECK(r.j["status"] == "ok");
  CHECK(r.j["documents"] == 44);
  CHECK(r.j["dictionary"].is_string());
  if (testutil::FullLexicon()) CHECK(r.j.value("dictionary", "").rfind("loaded", 0) == 0);
}

TEST_CASE("GET /search in English", "[http][search]") {
  auto& s = Sample();
  Reply r = Search(*s.searchd, "typhoon Gaemi");
  INFO(r.body.substr(0, 2000));
  REQUIRE(r.status == 200);
  REQUIRE(r.j.is_object());
  const json& j = r.j;
  REQUIRE(j["hits"].is_array());
  REQUIRE_FALSE(j["hits"].empty());
  CHECK(j["total"].is_number_unsigned());
  CHECK(j["total"].get<uint64_t>() >= j["hits"].size());
  REQUIRE(j["total_estimate"].is_number_unsigned());
  CHECK(j["total_estimate"].get<uint64_t>() >= j["total"].get<uint64_t>());
  CHECK(j["took_ms"].is_number());
  CHECK(j["took_ms"].get<double>() >= 0);
  const json& q = j["query"];
  CHECK(q["detected_language"] == "en");
  CHECK(q["mode"] == "all");
  CHECK(q["relaxed"].is_boolean());
  CHECK(q["truncated"] == false);
  CHECK(q["scoring"]["versions"] == "best");
  CHECK(q["scoring"]["exact_title"] == 0);  // no title reads "typhoon Gaemi"
  REQUIRE(q["words"].is_array());
  REQUIRE_FALSE(q["words"].empty());
  CHECK(q["words"][0]["text"].get<std::string>().rfind("typhoon", 0) == 0);
  CHECK(q["words"][0]["lang"] == "en");
  CHECK(q["words"][0]["translations"].is_array());

  const auto ids = HitIds(j);
  CHECK(Has(ids, "taipeitimes-2024-0727-gaemi-aftermath"));
  CHECK(Has(ids, "ltn-2024-0725-gaemi-kaohsiung-floods"));
  for (const json& h : j["hits"]) {
    INFO(h.dump());
    CHECK(h["id"].is_string());
    CHECK(s.articles.count(h["id"].get<std::string>()) == 1);
    CHECK(h["score"].is_number());
    REQUIRE(h["title"].is_object());
    REQUIRE(h["snippet"].is_object());
    CHECK_FALSE(h["snippet"].empty());
    for (const auto& [tag, v] : h["title"].items()) {
      CHECK((tag == "en" || tag == "zh-Hant" || tag == "zh-Hans"));
      CHECK(v.is_string());
    }
    for (const auto& [tag, v] : h["snippet"].items()) {
      CHECK((tag == "en" || tag == "zh-Hant" || tag == "zh-Hans"));
      CHECK(v.is_string());
    }
    CHECK(h.contains("published"));
    CHECK(h.contains("source"));
    CHECK(h.contains("matched_via"));
  }
  // The title is the stored one, and the English snippet marks the words.
  const json* aftermath = HitById(j, "taipeitimes-2024-0727-gaemi-aftermath");
  REQUIRE(aftermath);
  CHECK((*aftermath)["title"]["en"] == s.articles["taipeitimes-2024-0727-gaemi-aftermath"]["title"]["en"]);
  CHECK((*aftermath)["snippet"]["en"].get<std::string>().find("<mark>Typhoon</mark> <mark>Gaemi</mark>") !=
        std::string::npos);
  CHECK((*aftermath)["source"] == "Taipei Times");
  CHECK((*aftermath)["published"] == "2024-07-27");
}

TEST_CASE("GET /search: a whole title, typed in Simplified, ranks its article first", "[http][search]") {
  auto& s = Sample();
  Reply r = Search(*s.searchd, "蔡英文加州会晤麦卡锡 感谢美国国会跨党派支持");
  INFO(r.body.substr(0, 2000));
  REQUIRE(r.status == 200);
  CHECK(r.j["query"]["scoring"]["exact_title"].get<double>() > 0);
  const auto ids = HitIds(r.j);
  REQUIRE_FALSE(ids.empty());
  CHECK(ids[0] == "ltn-2023-0406-tsai-mccarthy");
}

TEST_CASE("GET /search in Traditional and Simplified Chinese", "[http][search]") {
  auto& s = Sample();
  Reply trad = Search(*s.searchd, "國防預算");
  Reply simp = Search(*s.searchd, "国防预算");
  REQUIRE(trad.status == 200);
  REQUIRE(simp.status == 200);
  const auto ids = HitIds(trad.j);
  INFO(trad.body.substr(0, 1500));
  CHECK(ids == HitIds(simp.j));
  CHECK(trad.j["total"] == simp.j["total"]);
  CHECK(trad.j["query"]["detected_language"] == "zh");
  CHECK(Has(ids, "udn-2024-1120-defence-budget-freeze"));  // zh-Hant only
  CHECK(Has(ids, "ltn-2024-0822-defence-budget"));
  CHECK(Has(ids, "taipeitimes-2025-0122-budget-defence-cuts"));

  // A Simplified query finds a Traditional-only article and marks the
  // Traditional characters as written.
  Reply r = Search(*s.searchd, "台积电", "cross=off");
  REQUIRE(r.status == 200);
  const json* h = HitById(r.j, "edn-2024-1024-tsmc-arizona-yield");
  REQUIRE(h);
  CHECK((*h)["snippet"]["zh-Hant"].get<std::string>().find("<mark>台積電</mark>") != std::string::npos);
  CHECK((*h)["title"]["zh-Hant"] == "台積電（TSMC）亞利桑那廠試產良率 超越台灣同級廠");
}

TEST_CASE("GET /search with a mixed-language query", "[http][search]") {
  auto& s = Sample();
  Reply r = Search(*s.searchd, "Taiwan 總統 election");
  INFO(r.body.substr(0, 1500));
  REQUIRE(r.status == 200);
  CHECK(r.j["query"]["detected_language"] == "mixed");
  const auto ids = HitIds(r.j);
  REQUIRE_FALSE(ids.empty());
  // The election-night report is among the best three.
  auto top = std::vector<std::string>(ids.begin(), ids.begin() + std::min<size_t>(3, ids.size()));
  CHECK(Has(top, "bbc-2024-0113-lai-wins-election"));
}

TEST_CASE("GET /search crosses languages through the dictionary", "[http][search][cross]") {
  auto& s = Sample();
  if (!DictionaryLoaded(*s.searchd)) {
    WARN("no dictionary installed; cross-language checks skipped");
    return;
  }
  SECTION("English query, Chinese-only article") {
    Reply r = Search(*s.searchd, "typhoon");
    REQUIRE(r.status == 200);
    CHECK(r.j["query"]["cross"] == true);
    const json* h = HitById(r.j, "cna-2024-0723-gaemi-land-warning");
    REQUIRE(h);
    CHECK((*h)["matched_via"] == "translation");
    Reply off = Search(*s.searchd, "typhoon", "cross=off");
    REQUIRE(off.status == 200);
    CHECK(off.j["query"]["cross"] == false);
    CHECK_FALSE(Has(HitIds(off.j), "cna-2024-0723-gaemi-land-warning"));
  }
  SECTION("English query does not match unrelated articles through one character") {
    // "typhoon" -> 台 (CC-CEDICT 颱 -> 台) matches every article mentioning
    // 台灣. None of these three is about a typhoon.
    Reply r = Search(*s.searchd, "typhoon");
    REQUIRE(r.status == 200);
    const auto ids = HitIds(r.j);
    INFO(r.body.substr(0, 3000));
    for (const char* unrelated : {"ltn-2023-0406-tsai-mccarthy", "scmp-2024-0523-joint-sword-drills",
                                  "cna-2025-0121-chiayi-quake-tsmc"})
      CHECK_FALSE(Has(ids, unrelated));
  }
  SECTION("Chinese query, English-only article") {
    Reply r = Search(*s.searchd, "熊本");
    REQUIRE(r.status == 200);
    const json* h = HitById(r.j, "nikkei-2024-1227-kumamoto-mass-production");
    REQUIRE(h);
    CHECK((*h)["matched_via"] == "translation");
    CHECK((*h)["snippet"]["en"].get<std::string>().find("<mark>Kumamoto</mark>") != std::string::npos);
    Reply off = Search(*s.searchd, "熊本", "cross=off");
    CHECK_FALSE(Has(HitIds(off.j), "nikkei-2024-1227-kumamoto-mass-production"));
  }
}

TEST_CASE("GET /search pages consistently", "[http][search]") {
  auto& s = Sample();
  for (const std::string q : {"Taiwan", "tariffs China", "Taiwan 總統 election"}) {
    Reply all = Search(*s.searchd, q, "limit=24");
    REQUIRE(all.status == 200);
    std::vector<std::string> paged;
    for (int off = 0; off < 24; off += 6) {
      Reply p = Search(*s.searchd, q, "limit=6&offset=" + std::to_string(off));
      REQUIRE(p.status == 200);
      for (const auto& id : HitIds(p.j)) paged.push_back(id);
    }
    INFO("query: " << q);
    CHECK(paged == HitIds(all.j));
  }
}

TEST_CASE("GET /articles/{id}", "[http][article]") {
  auto& s = Sample();
  SECTION("returns the stored article") {
    const std::string id = "cna-2024-0723-gaemi-land-warning";
    Reply r = Get(*s.searchd, "/articles/" + id);
    REQUIRE(r.status == 200);
    REQUIRE(r.j.is_object());
    const json& want = s.articles.at(id);
    for (const char* k :
         {"id", "source", "section", "published", "url", "original_language", "title", "body"}) {
      INFO(k);
      CHECK(r.j[k] == want[k]);
    }
    CHECK(r.j["duplicates"].is_array());
  }
  SECTION("404 JSON for an unknown id") {
    CheckErrorEnvelope(Get(*s.searchd, "/articles/no-such-article"), 404);
    CHECK(Get(*s.searchd, "/articles/no-such-article").j["error"]["code"] == "not_found");
    CheckErrorEnvelope(Get(*s.searchd, "/articles/" + UrlEncode("不存在的文章")), 404);
    CheckErrorEnvelope(Get(*s.searchd, "/articles/no-such-article/related"), 404);
  }
  SECTION("related coverage") {
    Reply r = Get(*s.searchd, "/articles/ltn-2024-0822-defence-budget/related?limit=5");
    REQUIRE(r.status == 200);
    const auto ids = HitIds(r.j);
    REQUIRE_FALSE(ids.empty());
    CHECK(ids.size() <= 5);
    CHECK_FALSE(Has(ids, "ltn-2024-0822-defence-budget"));
    CheckErrorEnvelope(Get(*s.searchd, "/articles/ltn-2024-0822-defence-budget/related?limit=abc"), 400,
                       "limit");
    CheckErrorEnvelope(Get(*s.searchd, "/articles/ltn-2024-0822-defence-budget/related?before=2024-02-30"),
                       400, "before");
  }
}

TEST_CASE("Bad parameters answer 400 naming the parameter", "[http][errors]") {
  auto& s = Sample();
  CheckErrorEnvelope(Get(*s.searchd, "/search"), 400, "q");
  CheckErrorEnvelope(Get(*s.searchd, "/search?limit=5"), 400, "q");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=abc", "limit"},
      {"limit=101", "limit"},
      {"limit=-1", "limit"},
      {"limit=", "limit"},
      {"limit=5x", "limit"},
      {"limit=99999999999999999999", "limit"},
      {"offset=-1", "offset"},
      {"offset=abc", "offset"},
      {"offset=995", "offset"},
      {"from=2024-13-01", "from"},
      {"from=2024-02-30", "from"},
      {"from=yesterday", "from"},
      {"to=2024-1-1", "to"},
      {"from=2025-01-01&to=2024-01-01", "from"},
      {"sort=popularity", "sort"},
      {"mode=some", "mode"},
      {"cross=on", "cross"},
      {"collapse=yes", "collapse"},
      {"facets=author", "facets"},
      {"snippet_length=5", "snippet_length"},
      {"snippet_length=1001", "snippet_length"},
      {"snippet_length=abc", "snippet_length"},
      {"recency=soon", "recency"},
      {"recency=-1", "recency"},
      {"lang=fr", "lang"},
      {"original=fr", "original"},
  };
  for (const auto& [param, name] : cases) {
    INFO("/search?q=taiwan&" << param);
    CheckErrorEnvelope(Get(*s.searchd, "/search?q=taiwan&" + param), 400, name);
  }
  // The boundaries themselves are fine.
  for (const std::string ok : {"limit=100", "limit=0", "offset=900&limit=100", "snippet_length=20",
                               "snippet_length=1000", "from=2024-02-29&to=2024-02-29", "sort=-date",
                               "mode=any", "cross=off", "facets=source,year,language,section"}) {
    INFO(ok);
    CHECK(Get(*s.searchd, "/search?q=taiwan&" + ok).status == 200);
  }
}

TEST_CASE("issue 15.6: source filter lists are capped and their duplicates folded", "[http][hostile]") {
  auto& s = Sample();
  std::string distinct;
  for (int i = 0; i < 101; ++i) distinct += (i ? "," : "") + std::string("s") + std::to_string(i);
  testutil::CheckErrorEnvelope(Get(*s.searchd, "/search?q=taiwan&source=" + distinct), 400, "source");
  const std::string hundred = distinct.substr(distinct.find(',') + 1);
  CHECK(Get(*s.searchd, "/search?q=taiwan&source=" + hundred).status == 200);
  std::string same;
  for (int i = 0; i < 1000; ++i) same += (i ? "," : "") + std::string("BBC");
  const Reply one = Get(*s.searchd, "/search?q=taiwan&source=bbc");
  const Reply many = Get(*s.searchd, "/search?q=taiwan&source=" + same);
  REQUIRE(one.status == 200);
  REQUIRE(many.status == 200);
  CHECK(many.j["hits"] == one.j["hits"]);
  CHECK(many.j["total"] == one.j["total"]);
}

TEST_CASE("Unknown endpoints answer 404 JSON", "[http][errors]") {
  auto& s = Sample();
  for (const std::string path : {"/nope", "/search/extra", "/articles", "/articles/", "/health/x"}) {
    INFO(path);
    CheckErrorEnvelope(Get(*s.searchd, path), 404);
  }
}

TEST_CASE("GET /stats", "[http]") {
  auto& s = Sample();
  Reply r = Get(*s.searchd, "/stats");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.j["documents"] == 44);
  CHECK(r.j["languages"]["en"] == 37);
  CHECK(r.j["languages"]["zh"] == 37);
  CHECK(r.j["date_range"]["from"] == "2023-04-06");
  CHECK(r.j["date_range"]["to"] == "2025-06-11");
  CHECK(r.j["size_bytes"].get<uint64_t>() > 0);
  CHECK(r.j["generation"].get<std::string>().rfind("gen-", 0) == 0);
  CHECK(r.j["schema"].is_string());
  CHECK(r.j["dictionary"].is_string());
}

TEST_CASE("GET /metrics is Prometheus text", "[http][metrics]") {
  auto& s = Sample();
  REQUIRE(Get(*s.searchd, "/search?q=taiwan").status == 200);
  REQUIRE(Get(*s.searchd, "/search?q=taiwan&limit=abc").status == 400);
  Reply r = MetricsWith(*s.searchd, "tongwen_requests_total{route=\"/search\",status=\"400\"}");
  REQUIRE(r.status == 200);
  const std::string& m = r.body;
  INFO(m);
  CHECK(m.find("# TYPE tongwen_requests_total counter") != std::string::npos);
  CHECK(m.find("tongwen_requests_total{route=\"/search\",status=\"200\"}") != std::string::npos);
  CHECK(m.find("tongwen_requests_total{route=\"/search\",status=\"400\"}") != std::string::npos);
  CHECK(m.find("# TYPE tongwen_request_duration_seconds histogram") != std::string::npos);
  CHECK(m.find("tongwen_documents 44") != std::string::npos);
  // Buckets are cumulative and the +Inf bucket equals the count.
  std::istringstream in(m);
  std::vector<double> buckets;
  double inf = -1, count = -2;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("tongwen_request_duration_seconds_bucket{le=\"+Inf\"}", 0) == 0)
      inf = std::stod(line.substr(line.rfind(' ') + 1));
    else if (line.rfind("tongwen_request_duration_seconds_bucket", 0) == 0)
      buckets.push_back(std::stod(line.substr(line.rfind(' ') + 1)));
    else if (line.rfind("tongwen_request_duration_seconds_count", 0) == 0)
      count = std::stod(line.substr(line.rfind(' ') + 1));
  }
  REQUIRE(buckets.size() >= 2);
  for (size_t i = 1; i < buckets.size(); ++i) CHECK(buckets[i - 1] <= buckets[i]);
  CHECK(buckets.back() <= inf);
  CHECK(inf == count);
  CHECK(count >= 2);
}

// Every recorded request happened while this test watched, one after the
// other, so the recorded durations cannot add up to more than the time the
// test took. A request that httplib rejects before routing (here a 414 for an
// over-long URI) must not be timed from a stale or zero start time.
TEST_CASE("Request latency in /metrics is measured for rejected requests too", "[http][metrics]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  tongwen::IngestOptions io;
  io.db_dir = db;
  tongwen::IngestReport rep;
  REQUIRE(
      tongwen::Rebuild(io, {WriteSmallArchive(dir / "a.jsonl", "m-1", "Lighthouse restored")}, &rep).ok());
  const auto t0 = std::chrono::steady_clock::now();
  testutil::Searchd sd(db, {"--no-dictionary", "--quiet"});
  REQUIRE(sd.ok());
  CHECK(Get(sd, "/search?q=" + std::string(20000, 'x')).status == 414);
  CHECK(Get(sd, "/search?q=lighthouse").status == 200);
  Reply r = MetricsWith(sd, "tongwen_requests_total{route=\"/search\",status=\"200\"} 1");
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r.status == 200);
  INFO(r.body);
  REQUIRE(r.body.find("tongwen_requests_total{route=\"/search\",status=\"200\"} 1") != std::string::npos);
  CHECK(r.body.find("tongwen_requests_total{route=\"other\",status=\"414\"} 1") != std::string::npos);
  double sum = -1;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("tongwen_request_duration_seconds_sum ", 0) == 0)
      sum = std::stod(line.substr(line.rfind(' ') + 1));
  REQUIRE(sum >= 0);
  CHECK(sum <= elapsed);
}

TEST_CASE("GET / serves the HTML page", "[http]") {
  auto& s = Sample();
  Reply r = Get(*s.searchd, "/");
  CHECK(r.status == 200);
  std::string lower = r.body.substr(0, 200);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(lower.rfind("<!doctype html", 0) == 0);
  CHECK(r.body.find("</html>") != std::string::npos);
}

TEST_CASE("Long queries are cut to the limits and reported", "[http][robustness]") {
  auto& s = Sample();
  std::string q;
  for (int i = 0; i < 900; ++i) q += "w" + std::to_string(i) + " ";
  Reply r = Search(*s.searchd, q);
  INFO(r.body.substr(0, 500));
  REQUIRE(r.status == 200);
  CHECK(r.j["query"]["truncated"] == true);
  CHECK(r.j["query"]["words"].size() <= r.j["query"]["limits"]["max_query_words"].get<size_t>());

  // 100 KB does not fit in a request line; it must be refused, not crash.
  Reply huge = Get(*s.searchd, "/search?q=" + std::string(100 * 1024, 'a'));
  CHECK(huge.status >= 400);
  CHECK(huge.status < 500);
  std::string zh;
  for (int i = 0; i < 17000; ++i) zh += "台灣";  // ~100 KB of UTF-8
  Reply huge_zh = Search(*s.searchd, zh);
  CHECK(huge_zh.status >= 400);
  CHECK(huge_zh.status < 500);
  CHECK(Get(*s.searchd, "/health").status == 200);
}

TEST_CASE("Nothing a client sends produces a 5xx or a crash", "[http][robustness]") {
  auto& s = Sample();
  std::mt19937 rng(20250611);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::vector<std::string> syntax = {
      "(",  ")",  "\"", "-",    "OR",  "NOT",   "AND",     "title:",   "source:", "section:", "*", ":", "\\",
      "--", "((", "))", "\"\"", "- -", "OR OR", "NOT NOT", "title:\"", "(\"",     "-(",       "|", "&", "+"};
  const std::vector<std::string> words = {"Taiwan", "台灣", "台湾", "tariffs",  "關稅", "颱風",
                                          "TSMC",   "the",  "的",   "election", "選舉", "2024",
                                          "3.5%",   "U.S.", "Ko",   "凱米"};
  const std::vector<std::string> bad_escapes = {"%",      "%Z",        "%ZZ",    "%E4%B8",    "%%",
                                                "%0",     "%00",       "%C0%AF", "%ED%A0%80", "%F4%90%80%80",
                                                "%FF%FE", "%E2%80%AE", "%0A"};
  const std::vector<std::string> params = {"limit=0",
                                           "limit=1",
                                           "limit=100",
                                           "limit=101",
                                           "limit=-5",
                                           "limit=1e3",
                                           "limit=%20",
                                           "offset=999",
                                           "offset=18446744073709551615",
                                           "mode=any",
                                           "mode=",
                                           "cross=off",
                                           "sort=date",
                                           "sort=-date",
                                           "sort=",
                                           "from=2024-02-29",
                                           "from=0000-00-00",
                                           "to=9999-12-31",
                                           "from=2024-01-01&to=2023-01-01",
                                           "facets=source,section,year,language",
                                           "facets=,,,",
                                           "facets=source&facets=year",
                                           "collapse=duplicates",
                                           "recency=1e-320",
                                           "recency=inf",
                                           "recency=1e309",
                                           "recency=36500",
                                           "recency=nan",
                                           "snippet_length=20",
                                           "snippet_length=1000",
                                           "source=",
                                           "source=Reuters,BBC",
                                           "section=%00",
                                           "lang=zh",
                                           "original=en",
                                           "query_lang=zh",
                                           "query_lang=en",
                                           "q=second"};

  auto random_text = [&] {
    std::string t;
    const size_t parts = 1 + pick(8);
    for (size_t i = 0; i < parts; ++i) {
      switch (pick(7)) {
        case 0:
          t += syntax[pick(syntax.size())];
          break;
        case 1:
          t += words[pick(words.size())];
          break;
        case 2:
          tongwen::AppendUtf8(static_cast<char32_t>(0x4E00 + pick(0x9FFF - 0x4E00)), &t);
          break;
        case 3:
          tongwen::AppendUtf8(static_cast<char32_t>(0x1F300 + pick(0x300)), &t);
          break;  // emoji
        case 4:
          tongwen::AppendUtf8(static_cast<char32_t>(1 + pick(0x7F)), &t);
          break;  // ASCII incl. controls
        case 5:
          tongwen::AppendUtf8(static_cast<char32_t>(0x300 + pick(0x70)), &t);
          break;  // combining marks
        case 6:
          t.push_back(static_cast<char>(0x80 + pick(0x80)));
          break;  // invalid UTF-8 byte
      }
      if (pick(2)) t += ' ';
    }
    return t;
  };

  int ok = 0;
  for (int i = 0; i < 300; ++i) {
    std::string target = "/search?q=" + UrlEncode(random_text());
    if (pick(3) == 0) target += bad_escapes[pick(bad_escapes.size())];
    if (pick(2) == 0) target += "&" + params[pick(params.size())];
    if (pick(4) == 0) target += "&" + params[pick(params.size())];
    Reply r = Get(*s.searchd, target);
    INFO("request " << i << ": " << target << "\n-> " << r.status << " " << r.body.substr(0, 300));
    REQUIRE(r.status > 0);  // the server answered
    CHECK(r.status < 500);
    if (r.status == 200) {
      ++ok;
      CHECK(r.j.is_object());
    } else {
      CHECK(r.j.is_object());  // errors are JSON too
    }
  }
  CHECK(ok > 100);  // most random queries are valid searches

  // Article ids and related parameters.
  for (int i = 0; i < 60; ++i) {
    std::string target = "/articles/" + UrlEncode(random_text());
    if (pick(2))
      target += "/related?limit=" + std::to_string(pick(150)) + (pick(2) ? "&before=2024-05-01" : "");
    if (pick(4) == 0) target += bad_escapes[pick(bad_escapes.size())];
    Reply r = Get(*s.searchd, target);
    INFO(target << " -> " << r.status << " " << r.body.substr(0, 300));
    REQUIRE(r.status > 0);
    CHECK(r.status < 500);
  }
  Reply h = Get(*s.searchd, "/health");
  CHECK(h.status == 200);
  Reply m = MetricsWith(*s.searchd, "tongwen_errors_total");
  CHECK(m.body.find("tongwen_errors_total 0\n") != std::string::npos);
}

TEST_CASE("searchd picks up a rebuilt index without a restart", "[http][reload]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  const std::string indexer = testutil::BinPath("indexer");
  std::string out;
  WriteSmallArchive(dir / "v1.jsonl", "p-1", "Lighthouse keeper retires after forty years");
  WriteSmallArchive(dir / "v2.jsonl", "p-2", "Submarine cable repaired off the east coast");
  REQUIRE(testutil::Run(
              indexer + " rebuild --db " + db + " --no-dictionary --progress none " + (dir / "v1.jsonl"),
              &out) == 0);
  testutil::Searchd sd(db, {"--no-dictionary", "--quiet"});
  REQUIRE(sd.ok());
  CHECK(HitIds(Search(sd, "lighthouse").j) == std::vector<std::string>{"p-1"});
  CHECK(HitIds(Search(sd, "submarine").j).empty());

  INFO(out);
  REQUIRE(testutil::Run(
              indexer + " rebuild --db " + db + " --no-dictionary --progress none " + (dir / "v2.jsonl"),
              &out) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // pick-up window
  // Several requests, so that every worker thread that answers has seen it.
  for (int i = 0; i < 8; ++i) {
    CHECK(HitIds(Search(sd, "submarine").j) == std::vector<std::string>{"p-2"});
    CHECK(HitIds(Search(sd, "lighthouse").j).empty());
  }
  CHECK(Get(sd, "/articles/p-2").status == 200);
  CHECK(Get(sd, "/articles/p-1").status == 404);
  CHECK(Get(sd, "/health").j["documents"] == 1);
}

TEST_CASE("searchd without a usable dictionary", "[http][dictionary]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  tongwen::IngestOptions io;
  io.db_dir = db;
  tongwen::IngestReport rep;
  REQUIRE(tongwen::Rebuild(io, {SamplePath()}, &rep).ok());
  const std::string missing = dir / "missing.lex";
  const std::string corrupt = dir / "corrupt.lex";
  std::string junk;
  std::mt19937 rng(7);
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>(rng() & 0xFF));
  testutil::WriteFile(corrupt, junk);
  const std::string truncated = dir / "truncated.lex";
  const std::string real = testutil::BinPath("../share/tongwen/cedict.lex");
  testutil::WriteFile(truncated, testutil::ReadFile(real).substr(0, 100000));

  for (const std::string& dict : {missing, corrupt, truncated}) {
    INFO("--dictionary " << dict);
    testutil::Searchd sd(db, {"--dictionary", dict});
    REQUIRE(sd.ok());  // starts anyway
    Reply h = Get(sd, "/health");
    REQUIRE(h.status == 200);
    CHECK(h.j.value("dictionary", "").rfind("off", 0) == 0);
    Reply r = Search(sd, "typhoon");
    REQUIRE(r.status == 200);
    CHECK(r.j["query"]["cross"] == false);
    CHECK_FALSE(Has(HitIds(r.j), "cna-2024-0723-gaemi-land-warning"));  // Chinese only: not reachable
    CHECK(Has(HitIds(r.j), "taipeitimes-2024-0727-gaemi-aftermath"));   // English still works
    CHECK(testutil::ReadFile(sd.log()).find("warning") != std::string::npos);
  }

  // --require-dictionary refuses to start.
  for (const std::string& dict : {missing, corrupt}) {
    std::string out;
    int rc = testutil::Run("timeout 5 " + testutil::BinPath("searchd") + " --db " + db +
                               " --listen 127.0.0.1:0 --quiet --require-dictionary --dictionary " + dict,
                           &out);
    INFO(out);
    CHECK(rc != 0);
    CHECK(rc != 124);  // exited by itself, was not killed by timeout
    CHECK(out.find("dictionary") != std::string::npos);
  }
}

TEST_CASE("searchd rejects bad arguments with exit 2 and a message naming the option", "[http][cli]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"--threads 0", "--threads must be 1..256"},
      {"--threads 257", "--threads must be 1..256"},
      {"--threads 4x", "--threads must be 1..256"},
      {"--max-translations 0", "--max-translations must be 1..50"},
      {"--translation-weight 10.5", "--translation-weight must be a number 0..10"},
      {"--translation-weight abc", "--translation-weight must be a number 0..10"},
      {"--query-time-limit -1", "--query-time-limit must be 0..600000 ms"},
      {"--query-time-limit ''", "--query-time-limit must be 0..600000 ms"},
      {"--query-time-limit", "--query-time-limit needs a value"},
      {"--frobnicate", "unknown argument --frobnicate"},
      {"", "--db DIR is required"},
  };
  for (const auto& [args, want] : rows) {
    INFO(args);
    std::string out;
    const std::string db = args.empty() ? "" : " --db /nonexistent";
    const int rc = testutil::Run("timeout 5 " + testutil::BinPath("searchd") + db + " " + args, &out);
    INFO(out);
    CHECK(rc == 2);
    CHECK(out.find(want) != std::string::npos);
  }
}

TEST_CASE("searchd --positions-on-disk answers phrases as the default (positions in memory) does",
          "[http][phrase]") {
  SampleServer& s = Sample();
  testutil::Searchd disk(s.db, {"--quiet", "--positions-on-disk"});
  REQUIRE(disk.ok());
  // Phrases from the sample's titles: two English words, four Han characters
  // (two words, usually), plus a Chinese word whose English glosses include
  // multi-word phrases, and a romanised name (a pinyin phrase).
  std::vector<std::pair<std::string, std::string>> queries;  // query, id it came from
  for (const auto& [id, a] : s.articles) {
    const json& t = a["title"];
    if (t.contains("en")) {
      std::istringstream words(t["en"].get<std::string>());
      std::string w1, w2;
      if (words >> w1 >> w2) queries.emplace_back("\"" + w1 + " " + w2 + "\"", id);
    }
    for (const char* tag : {"zh-Hant", "zh-Hans"}) {
      if (!t.contains(tag)) continue;
      const std::string zh = t[tag].get<std::string>();
      if (zh.size() >= 12) queries.emplace_back("\"" + zh.substr(0, 12) + "\"", id);
    }
    if (queries.size() >= 24) break;
  }
  queries.emplace_back("情况", "");
  queries.emplace_back("Tsai Ing-wen", "");
  size_t found = 0;
  for (const auto& [q, from] : queries) {
    INFO(q);
    Reply mem = Search(*s.searchd, q, "limit=20");
    Reply dsk = Search(disk, q, "limit=20");
    REQUIRE(mem.status == 200);
    REQUIRE(dsk.status == 200);
    CHECK(HitIds(mem.j) == HitIds(dsk.j));
    CHECK(mem.j["total"] == dsk.j["total"]);
    found += !from.empty() && Has(HitIds(mem.j), from);
  }
  CHECK(found >= queries.size() / 2);  // the phrases find the articles they came from
}

TEST_CASE("/metrics reports the memory held for phrase checks once a phrase is searched",
          "[http][metrics][phrase]") {
  SampleServer& s = Sample();
  auto gauge = [](const testutil::Searchd& sd) {
    Reply m = Get(sd, "/metrics");
    REQUIRE(m.status == 200);
    const std::string key = "\ntongwen_position_memory_bytes ";
    const size_t at = m.body.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoull(m.body.substr(at + key.size()));
  };
  testutil::Searchd memory(s.db, {"--quiet"}), disk(s.db, {"--quiet", "--positions-on-disk"});
  REQUIRE(memory.ok());
  REQUIRE(disk.ok());
  CHECK(gauge(memory) == 0);
  REQUIRE(Search(memory, "taiwan").status == 200);  // no phrase: nothing loaded
  CHECK(gauge(memory) == 0);
  REQUIRE(Search(memory, "\"president tsai\"").status == 200);
  REQUIRE(Search(disk, "\"president tsai\"").status == 200);
  const uint64_t held = gauge(memory);
  CHECK(held > 44 * 100);  // 44 articles, some hundreds of bytes of positions each at least
  CHECK(held < 44 * 100000);
  CHECK(gauge(disk) == 0);
}
