// Reader/editor features of the search API (docs/api.md), end to end: the
// real searchd on a database built from tests/data/story_fixture.jsonl with
// the full dictionary. Filters, sorting and recency, facets, paging, query
// syntax (phrases, OR, exclusion, grouping, field prefixes), highlighting,
// related coverage, near-duplicate folding, /stats and /metrics.
//
// Fixture map (15 original articles; id: languages, what it is for):
//   sf-cna-2023-0210-matsu-cable-cut            zh-Hant only  the Matsu cable story, first report
//   sf-reuters-2024-0315-matsu-backup-en        en only       the same story a year later
//   sf-zaobao-2025-0605-matsu-third-cable-hans  zh-Hans only  the same story, newest article of all;
//       for "马祖 海底电缆" it scores a little below the 2023 report (recency flips them)
//   sf-cna-2024-0412-tokyo-heat                 zh-Hant       東京都政府… (must not match "京都")
//   sf-ltn-2023-1108-kyoto-temples              zh-Hant       京都的寺廟…
//   sf-reuters-2022-0905-trade-war-exporters    en            "trade war" in title and body
//   sf-reuters-2025-0210-chip-tariffs-bilingual en + zh-Hans  "trade war" in the body only; tariffs, stocks
//   sf-taipeitimes-2023-0620-grain-shipments    en            "war" and "trade" apart
//   sf-taipeitimes-2024-0902-margin-escape      en            <, &, " and ' in title and body
//   sf-reuters-2024-1015-kaohsiung-port-wire / sf-taipeitimes-2024-1016-kaohsiung-port-repost
//                                               en            near-duplicate pair (one word differs)
//   sf-ltn-2024-0822-defence-budget             zh-Hant       國防預算 (politics)
//   sf-cna-2022-0725-typhoon-bilingual          zh-Hant + en  颱風 / typhoon, Hualien
//   sf-ltn-2022-1003-mango-harvest              en            harvested / Harvesting (stemming)
//   sf-bbc-2025-0118-recall-campaign            en            budget (politics)
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.h"

#include "tongwen/index.h"

using nlohmann::json;
using testutil::UrlEncode;

// Facet maps print as {value=count, ...} in failure messages.
namespace Catch {
template <>
struct StringMaker<std::pair<const std::string, uint64_t>> {
  static std::string convert(const std::pair<const std::string, uint64_t>& p) {
    return p.first + "=" + std::to_string(p.second);
  }
};
}  // namespace Catch

namespace {

constexpr size_t kArticles = 15;

const std::string kStoryHant = "sf-cna-2023-0210-matsu-cable-cut";
const std::string kStoryEn = "sf-reuters-2024-0315-matsu-backup-en";
const std::string kStoryHans = "sf-zaobao-2025-0605-matsu-third-cable-hans";
const std::string kTokyo = "sf-cna-2024-0412-tokyo-heat";
const std::string kKyoto = "sf-ltn-2023-1108-kyoto-temples";
const std::string kTradeWar = "sf-reuters-2022-0905-trade-war-exporters";
const std::string kChipTariffs = "sf-reuters-2025-0210-chip-tariffs-bilingual";
const std::string kGrain = "sf-taipeitimes-2023-0620-grain-shipments";
const std::string kEscape = "sf-taipeitimes-2024-0902-margin-escape";
const std::string kPortWire = "sf-reuters-2024-1015-kaohsiung-port-wire";
const std::string kPortRepost = "sf-taipeitimes-2024-1016-kaohsiung-port-repost";
const std::string kDefence = "sf-ltn-2024-0822-defence-budget";
const std::string kTyphoon = "sf-cna-2022-0725-typhoon-bilingual";
const std::string kMango = "sf-ltn-2022-1003-mango-harvest";
const std::string kRecall = "sf-bbc-2025-0118-recall-campaign";

using testutil::Reply;

// Every request this process sends to the server, by metrics route and
// status, so that /metrics can be checked against it.
std::map<std::pair<std::string, int>, uint64_t>& Sent() {
  static std::map<std::pair<std::string, int>, uint64_t> sent;
  return sent;
}

std::string MetricsRoute(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  if (path.rfind("/articles/", 0) == 0)
    return path.size() > 8 && path.compare(path.size() - 8, 8, "/related") == 0 ? "/articles/{id}/related"
                                                                                : "/articles/{id}";
  if (path == "/search" || path == "/health" || path == "/stats" || path == "/metrics" || path == "/")
    return path;
  return "other";
}

// The searchd under test, on the story fixture, shared by all test cases.
struct StoryServer {
  testutil::TempDir dir;
  std::string db;
  std::unique_ptr<testutil::Searchd> searchd;
  std::vector<json> articles;  // in fixture order
  std::map<std::string, json> by_id;

  StoryServer() : db(dir / "db") {
    tongwen::IngestOptions io;
    io.db_dir = db;
    io.lexicon = testutil::FullLexicon();
    io.threads = 2;
    tongwen::IngestReport rep;
    tongwen::Status s = tongwen::Rebuild(io, {testutil::DataPath("story_fixture.jsonl")}, &rep);
    if (!s.ok()) throw std::runtime_error("rebuild: " + s.ToString());
    if (rep.indexed != kArticles || rep.rejected != 0)
      throw std::runtime_error("rebuild indexed " + std::to_string(rep.indexed) + " articles, rejected " +
                               std::to_string(rep.rejected));
    std::ifstream in(testutil::DataPath("story_fixture.jsonl"));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) {
        json j = json::parse(line);
        by_id[j["id"].get<std::string>()] = j;
        articles.push_back(std::move(j));
      }
    searchd = std::make_unique<testutil::Searchd>(db, std::vector<std::string>{"--quiet"});
    if (!searchd->ok()) throw std::runtime_error("searchd did not start; see " + searchd->log());
  }
};

StoryServer& Story() {
  // The test suite's build installs the full dictionary (build/share/tongwen/cedict.lex);
  // cross-language related coverage and translated filters need it.
  INFO("the full dictionary is missing: expected at " << testutil::BinPath("../share/tongwen/cedict.lex"));
  REQUIRE(testutil::FullLexicon() != nullptr);
  static StoryServer s;
  return s;
}

Reply Get(const std::string& target) {
  std::string body;
  const int status = Story().searchd->Get(target, &body);
  if (status > 0) ++Sent()[{MetricsRoute(target), status}];
  return testutil::MakeReply(status, std::move(body));
}

// GET /search?q=<q>&<extra>; `extra` is already URL-encoded.
Reply Search(const std::string& q, const std::string& extra = "") {
  return Get("/search?q=" + UrlEncode(q) + (extra.empty() ? "" : "&" + extra));
}

Reply MustSearch(const std::string& q, const std::string& extra = "") {
  Reply r = Search(q, extra);
  INFO("q=" << q << " " << extra << " -> " << r.status << " " << r.body.substr(0, 1500));
  REQUIRE(r.status == 200);
  REQUIRE(r.j.is_object());
  REQUIRE(r.j["hits"].is_array());
  return r;
}

std::vector<std::string> Ids(const json& j) {
  std::vector<std::string> ids;
  if (j.is_object() && j.contains("hits") && j["hits"].is_array())
    for (const auto& h : j["hits"]) ids.push_back(h.value("id", ""));
  return ids;
}

std::set<std::string> IdSet(const json& j) {
  auto v = Ids(j);
  return {v.begin(), v.end()};
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

ptrdiff_t Pos(const std::vector<std::string>& v, const std::string& x) {
  auto it = std::find(v.begin(), v.end(), x);
  return it == v.end() ? -1 : it - v.begin();
}

const json* HitById(const json& j, const std::string& id) {
  for (const auto& h : j["hits"])
    if (h.value("id", "") == id) return &h;
  return nullptr;
}

// obj[key] as a string, or "" (a const json's operator[] must not see a missing key).
std::string Str(const json& obj, const std::string& key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The articles that match the query itself, without the relaxed (any-word)
// matches the engine appends when a page is not full. limit=1 is never
// relaxed unless nothing matches exactly; facets make `total` exact; a page
// of exactly `total` hits is then full, hence not relaxed either.
std::set<std::string> ExactIds(const std::string& q, const std::string& extra = "") {
  const std::string more = extra.empty() ? "" : "&" + extra;
  Reply first = MustSearch(q, "limit=1&facets=year" + more);
  INFO("q=" << q << " " << extra << ": " << first.body.substr(0, 1500));
  REQUIRE(first.j["total_exact"] == true);
  if (first.j["query"]["relaxed"] == true) return {};  // nothing matched exactly
  const size_t n = first.j["total"].get<size_t>();
  if (n == 0) return {};
  REQUIRE(n <= 100);
  Reply all = MustSearch(q, "limit=" + std::to_string(n) + more);
  CHECK(all.j["query"]["relaxed"] == false);
  CHECK(all.j["hits"].size() == n);
  return IdSet(all.j);
}

// Fixture ids for which `pred` holds, newest first (the order of an empty query).
template <typename Pred>
std::vector<std::string> Expected(Pred pred) {
  std::vector<const json*> sel;
  for (const json& a : Story().articles)
    if (pred(a)) sel.push_back(&a);
  std::stable_sort(sel.begin(), sel.end(), [](const json* a, const json* b) {
    return (*a)["published"].get<std::string>() > (*b)["published"].get<std::string>();
  });
  std::vector<std::string> ids;
  for (const json* a : sel) ids.push_back((*a)["id"].get<std::string>());
  return ids;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasLanguage(const json& article, const std::string& base) {  // base: en | zh
  for (const char* field : {"title", "body"})
    if (article.contains(field) && article[field].is_object())
      for (const auto& [tag, v] : article[field].items())
        if (tag == base || tag.rfind(base + "-", 0) == 0) return true;
  return false;
}

bool HasKeyFor(const json& obj, const std::string& base) {
  if (!obj.is_object()) return false;
  for (const auto& [tag, v] : obj.items())
    if (tag == base || tag.rfind(base + "-", 0) == 0) return true;
  return false;
}

void CheckError(const Reply& r, int status, const std::string& parameter = "") {
  const json e = testutil::CheckErrorEnvelope(r, status, parameter);
  CHECK(e.value("code", "") == (status == 404 ? "not_found" : "invalid_parameter"));
  if (!parameter.empty()) CHECK(e.value("message", "").find(parameter) != std::string::npos);
}

// Facet values as a map.
std::map<std::string, uint64_t> Facet(const json& j, const std::string& name) {
  std::map<std::string, uint64_t> out;
  if (!j.contains("facets") || !j["facets"].contains(name)) return out;
  for (const auto& v : j["facets"][name]) out[v["value"].get<std::string>()] += v["count"].get<uint64_t>();
  return out;
}

uint64_t Sum(const std::map<std::string, uint64_t>& m) {
  uint64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

// Snippet text as a reader sees it: <mark> removed, entities decoded.
std::string PlainText(const std::string& snippet) {
  const std::string s = testutil::WithoutMarks(snippet);
  const std::vector<std::pair<std::string, std::string>> ents = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    for (const auto& [e, c] : ents)
      if (s.compare(i, e.size(), e) == 0) {
        out += c;
        i += e.size();
        done = true;
        break;
      }
    if (!done) out += s[i++];
  }
  return out;
}

size_t Utf8Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

TEST_CASE("Story fixture: /stats describes the index", "[http][search][stats]") {
  Reply r = Get("/stats");
  INFO(r.body);
  REQUIRE(r.status == 200);
  REQUIRE(r.j.is_object());
  CHECK(r.j["documents"] == kArticles);
  size_t en = 0, zh = 0;
  std::string first = "9999-99-99", last;
  for (const json& a : Story().articles) {
    en += HasLanguage(a, "en");
    zh += HasLanguage(a, "zh");
    first = std::min(first, a["published"].get<std::string>());
    last = std::max(last, a["published"].get<std::string>());
  }
  CHECK(en == 10);
  CHECK(zh == 7);
  CHECK(r.j["languages"]["en"] == en);
  CHECK(r.j["languages"]["zh"] == zh);
  CHECK(r.j["date_range"]["from"] == first);
  CHECK(r.j["date_range"]["to"] == last);
  CHECK(r.j["date_range"]["from"] == "2022-07-25");
  CHECK(r.j["date_range"]["to"] == "2025-06-05");
  Reply h = Get("/health");
  REQUIRE(h.status == 200);
  CHECK(h.j.value("dictionary", "").rfind("loaded", 0) == 0);
}

TEST_CASE("Filter: published date range, inclusive", "[http][search][filter]") {
  auto in = [](const std::string& from, const std::string& to) {
    return Expected([&](const json& a) {
      const std::string d = a["published"];
      return (from.empty() || d >= from) && (to.empty() || d <= to);
    });
  };
  SECTION("both ends are included") {
    Reply r = MustSearch("", "from=2024-03-15&to=2024-10-15&limit=100");
    const auto want = in("2024-03-15", "2024-10-15");
    CHECK(want.size() == 5);
    CHECK(Ids(r.j) == want);
    CHECK(r.j["total"] == want.size());
    CHECK(Has(Ids(r.j), kStoryEn));           // published on `from`
    CHECK(Has(Ids(r.j), kPortWire));          // published on `to`
    CHECK_FALSE(Has(Ids(r.j), kPortRepost));  // the day after
  }
  SECTION("one day") {
    CHECK(Ids(MustSearch("", "from=2024-10-16&to=2024-10-16").j) == std::vector<std::string>{kPortRepost});
  }
  SECTION("open ended") {
    CHECK(Ids(MustSearch("", "from=2025-01-18&limit=100").j) == in("2025-01-18", ""));
    CHECK(Ids(MustSearch("", "to=2022-10-03&limit=100").j) == in("", "2022-10-03"));
    CHECK(Ids(MustSearch("", "to=2022-10-03").j) == std::vector<std::string>{kMango, kTradeWar, kTyphoon});
  }
  SECTION("with a query") {
    Reply all = MustSearch("Taiwan", "limit=100");
    Reply r = MustSearch("Taiwan", "from=2025-01-01&limit=100");
    REQUIRE_FALSE(r.j["hits"].empty());
    for (const auto& h : r.j["hits"]) CHECK(h["published"].get<std::string>() >= "2025-01-01");
    std::set<std::string> want;
    for (const auto& h : all.j["hits"])
      if (h["published"].get<std::string>() >= "2025-01-01") want.insert(h["id"]);
    CHECK(IdSet(r.j) == want);
  }
  SECTION("a malformed date is a 400 naming the parameter") {
    CheckError(Search("Taiwan", "from=2024-3-15"), 400, "from");
    CheckError(Search("Taiwan", "from=15%2F03%2F2024"), 400, "from");
    CheckError(Search("Taiwan", "from=2023-02-29"), 400, "from");  // not a leap year
    CheckError(Search("Taiwan", "to=2024-10-32"), 400, "to");
    CheckError(Search("Taiwan", "to=2024-00-10"), 400, "to");
    CheckError(Search("", "from=2024-01-01&to=2024-10-aa"), 400, "to");
  }
  SECTION("from after to is a 400") {
    CheckError(Search("Taiwan", "from=2024-10-16&to=2024-10-15"), 400, "from");
  }
}

TEST_CASE("Filter: source, repeatable, comma list, case-insensitive", "[http][search][filter]") {
  auto from = [](std::set<std::string> sources) {
    return Expected([&](const json& a) { return sources.count(Lower(a["source"].get<std::string>())) > 0; });
  };
  const auto reuters = from({"reuters"});
  CHECK(reuters.size() == 4);
  CHECK(Ids(MustSearch("", "source=Reuters&limit=100").j) == reuters);
  CHECK(Ids(MustSearch("", "source=reuters&limit=100").j) == reuters);
  CHECK(Ids(MustSearch("", "source=REUTERS&limit=100").j) == reuters);

  const auto reuters_bbc = from({"reuters", "bbc"});
  CHECK(reuters_bbc.size() == 5);
  CHECK(Ids(MustSearch("", "source=Reuters&source=BBC&limit=100").j) == reuters_bbc);
  CHECK(Ids(MustSearch("", "source=reuters,bbc&limit=100").j) == reuters_bbc);
  CHECK(Ids(MustSearch("", "source=" + UrlEncode("bbc,Reuters") + "&limit=100").j) == reuters_bbc);

  // A name with a space.
  const auto liberty = from({"liberty times"});
  CHECK(liberty.size() == 3);
  Reply lt = MustSearch("", "source=" + UrlEncode("liberty times") + "&limit=100");
  CHECK(Ids(lt.j) == liberty);
  for (const auto& h : lt.j["hits"]) CHECK(h["source"] == "Liberty Times");  // shown as stored

  // Three sources, mixing both forms.
  CHECK(Ids(MustSearch(
                "", "source=" + UrlEncode("Liberty Times,bbc") + "&source=central%20news%20agency&limit=100")
                .j) == from({"liberty times", "bbc", "central news agency"}));

  Reply none = MustSearch("", "source=" + UrlEncode("Nonexistent Wire"));
  CHECK(none.j["hits"].empty());
  CHECK(none.j["total"] == 0);

  // With a query: "war" is in three articles, one of them from the Taipei Times.
  CHECK(IdSet(MustSearch("war", "cross=off&source=" + UrlEncode("taipei times")).j) ==
        std::set<std::string>{kGrain});
}

TEST_CASE("Filter: section, case-insensitive", "[http][search][filter]") {
  auto in = [](const std::string& s) { return Expected([&](const json& a) { return a["section"] == s; }); };
  CHECK(Ids(MustSearch("", "section=politics&limit=100").j) == in("politics"));
  CHECK(Ids(MustSearch("", "section=Politics&limit=100").j) == std::vector<std::string>{kRecall, kDefence});
  CHECK(Ids(MustSearch("", "section=BUSINESS&limit=100").j) == in("business"));
  CHECK(in("business").size() == 6);
  CHECK(MustSearch("", "section=sports").j["total"] == 0);
}

TEST_CASE("Filter: lang (has a version in) and original (original language)", "[http][search][filter]") {
  SECTION("lang=en: every hit has an English title and snippet") {
    Reply r = MustSearch("", "lang=en&limit=100");
    CHECK(Ids(r.j) == Expected([](const json& a) { return HasLanguage(a, "en"); }));
    CHECK(r.j["total"] == 10);
    for (const auto& h : r.j["hits"]) {
      INFO(h.dump());
      CHECK(h["title"].contains("en"));
      CHECK(h["snippet"].contains("en"));
    }
  }
  SECTION("lang=zh: every hit has a Chinese title and snippet") {
    Reply r = MustSearch("", "lang=zh&limit=100");
    CHECK(Ids(r.j) == Expected([](const json& a) { return HasLanguage(a, "zh"); }));
    CHECK(r.j["total"] == 7);
    for (const auto& h : r.j["hits"]) {
      INFO(h.dump());
      CHECK(HasKeyFor(h["title"], "zh"));
      CHECK(HasKeyFor(h["snippet"], "zh"));
    }
  }
  SECTION("lang=auto is no filter") { CHECK(MustSearch("", "lang=auto").j["total"] == kArticles); }
  SECTION("lang with a cross-language query") {
    // "Matsu" reaches the Chinese reports through the dictionary; lang=zh
    // keeps those and drops the English-only article.
    Reply any = MustSearch("Matsu", "limit=100");
    CHECK(Has(Ids(any.j), kStoryEn));
    CHECK(Has(Ids(any.j), kStoryHant));
    Reply zh = MustSearch("Matsu", "lang=zh&limit=100");
    CHECK(Has(Ids(zh.j), kStoryHant));
    CHECK(Has(Ids(zh.j), kStoryHans));
    CHECK_FALSE(Has(Ids(zh.j), kStoryEn));
    for (const auto& h : zh.j["hits"]) CHECK(HasKeyFor(h["snippet"], "zh"));
    Reply en = MustSearch("Matsu", "lang=en&limit=100");
    CHECK(IdSet(en.j) == std::set<std::string>{kStoryEn});
  }
  SECTION("original=zh / original=en") {
    Reply zh = MustSearch("", "original=zh&limit=100");
    CHECK(Ids(zh.j) == Expected([](const json& a) { return a["original_language"] == "zh"; }));
    CHECK(zh.j["total"] == 6);
    for (const auto& h : zh.j["hits"]) CHECK(h["original_language"] == "zh");
    Reply en = MustSearch("", "original=en&limit=100");
    CHECK(Ids(en.j) == Expected([](const json& a) { return a["original_language"] == "en"; }));
    CHECK(en.j["total"] == 9);
    for (const auto& h : en.j["hits"]) CHECK(h["original_language"] == "en");
  }
}

TEST_CASE("Filters combine (AND)", "[http][search][filter]") {
  CHECK(Ids(MustSearch("", "source=Reuters&from=2024-01-01&lang=en&limit=100").j) ==
        std::vector<std::string>{kChipTariffs, kPortWire, kStoryEn});
  // Originally Chinese, with an English version: only the bilingual typhoon report.
  CHECK(Ids(MustSearch("", "original=zh&lang=en").j) == std::vector<std::string>{kTyphoon});
  // Originally English with a Chinese version.
  CHECK(Ids(MustSearch("", "original=en&lang=zh").j) == std::vector<std::string>{kChipTariffs});
  CHECK(Ids(MustSearch("", "section=business&source=" + UrlEncode("Taipei Times") + "&to=2023-12-31").j) ==
        std::vector<std::string>{kGrain});
  CHECK(
      Ids(MustSearch("", "section=business&source=taipei%20times,reuters&from=2024-09-02&to=2024-10-15").j) ==
      std::vector<std::string>{kPortWire, kEscape});
  // Filters that exclude each other.
  CHECK(MustSearch("", "section=politics&source=reuters").j["total"] == 0);
  CHECK(MustSearch("", "original=zh&source=bbc").j["hits"].empty());
  // With a query and a filter the query alone does not imply.
  Reply r = MustSearch("tariffs", "cross=off&from=2025-01-01&lang=zh");
  CHECK(Ids(r.j) == std::vector<std::string>{kChipTariffs});
}

TEST_CASE("Sorting by date and the recency boost", "[http][search][sort]") {
  SECTION("sort=date: oldest first; sort=-date: newest first") {
    std::vector<std::string> newest = Expected([](const json&) { return true; });
    std::vector<std::string> oldest(newest.rbegin(), newest.rend());
    CHECK(Ids(MustSearch("", "sort=date&limit=100").j) == oldest);
    CHECK(Ids(MustSearch("", "sort=-date&limit=100").j) == newest);
    CHECK(Ids(MustSearch("", "sort=date&limit=3").j) ==
          std::vector<std::string>(oldest.begin(), oldest.begin() + 3));
  }
  SECTION("a query sorted by date") {
    for (const std::string q : {"Taiwan", "Matsu", "cable"}) {
      INFO(q);
      Reply rel = MustSearch(q, "limit=100");
      Reply asc = MustSearch(q, "sort=date&limit=100");
      Reply desc = MustSearch(q, "sort=-date&limit=100");
      REQUIRE(asc.j["hits"].size() >= 2);
      CHECK(IdSet(asc.j) == IdSet(rel.j));
      CHECK(IdSet(desc.j) == IdSet(rel.j));
      std::vector<std::string> a, d;
      for (const auto& h : asc.j["hits"]) a.push_back(h["published"]);
      for (const auto& h : desc.j["hits"]) d.push_back(h["published"]);
      CHECK(std::is_sorted(a.begin(), a.end()));
      CHECK(std::is_sorted(d.rbegin(), d.rend()));
    }
  }
  SECTION("recency lifts the newer report of the story above the older one") {
    // For "马祖 海底电缆" the 2023 Traditional report scores slightly above
    // the 2025 Simplified one on text alone; a 30-day half-life reverses that.
    const std::string q = "马祖 海底电缆";
    Reply plain = MustSearch(q);
    INFO(plain.body.substr(0, 1500));
    auto ids = Ids(plain.j);
    REQUIRE(Has(ids, kStoryHant));
    REQUIRE(Has(ids, kStoryHans));
    CHECK(Pos(ids, kStoryHant) < Pos(ids, kStoryHans));
    const double gap = (*HitById(plain.j, kStoryHant))["score"].get<double>() -
                       (*HitById(plain.j, kStoryHans))["score"].get<double>();
    CHECK(gap > 0);
    CHECK(gap < 2);  // "scores similarly"

    Reply recent = MustSearch(q, "sort=relevance&recency=30");
    INFO(recent.body.substr(0, 1500));
    ids = Ids(recent.j);
    REQUIRE(Has(ids, kStoryHant));
    REQUIRE(Has(ids, kStoryHans));
    CHECK(Pos(ids, kStoryHans) < Pos(ids, kStoryHant));
    CHECK(IdSet(recent.j) == IdSet(plain.j));  // a boost, not a filter

    // A half-life of a century hardly separates 2023 from 2025.
    ids = Ids(MustSearch(q, "recency=36500").j);
    CHECK(Pos(ids, kStoryHant) < Pos(ids, kStoryHans));
    // recency=0 is no boost.
    CHECK(Ids(MustSearch(q, "recency=0").j) == Ids(plain.j));
    // recency only applies to sort=relevance.
    Reply by_date = MustSearch(q, "sort=date&recency=30");
    ids = Ids(by_date.j);
    CHECK(Pos(ids, kStoryHant) < Pos(ids, kStoryHans));
  }
  SECTION("a bad sort or recency is a 400") {
    CheckError(Search("Taiwan", "sort=newest"), 400, "sort");
    CheckError(Search("Taiwan", "sort=DATE"), 400, "sort");
    CheckError(Search("Taiwan", "sort="), 400, "sort");
    CheckError(Search("Taiwan", "recency=36501"), 400, "recency");
  }
}

TEST_CASE("Facets count the matches under the filters", "[http][search][facets]") {
  auto fixture_counts = [](auto pred) {
    std::map<std::string, std::map<std::string, uint64_t>> c;
    for (const json& a : Story().articles) {
      if (!pred(a)) continue;
      ++c["source"][a["source"].get<std::string>()];
      ++c["section"][a["section"].get<std::string>()];
      ++c["year"][a["published"].get<std::string>().substr(0, 4)];
      for (const char* l : {"en", "zh"})
        if (HasLanguage(a, l)) ++c["language"][l];
    }
    return c;
  };
  SECTION("all articles") {
    Reply r = MustSearch("", "facets=source,section,year,language&limit=0");
    INFO(r.body);
    CHECK(r.j["total"] == kArticles);
    CHECK(r.j["hits"].empty());  // limit=0 still counts
    auto want = fixture_counts([](const json&) { return true; });
    for (const char* f : {"source", "section", "year", "language"}) {
      INFO(f);
      CHECK(Facet(r.j, f) == want[f]);
    }
    CHECK(Sum(Facet(r.j, "source")) == kArticles);
    CHECK(Sum(Facet(r.j, "section")) == kArticles);
    CHECK(Sum(Facet(r.j, "year")) == kArticles);
    CHECK(Facet(r.j, "year") ==
          std::map<std::string, uint64_t>{{"2022", 3}, {"2023", 3}, {"2024", 6}, {"2025", 3}});
    CHECK(Facet(r.j, "language") == std::map<std::string, uint64_t>{{"en", 10}, {"zh", 7}});
    // Facets are only there when asked for.
    CHECK_FALSE(MustSearch("", "limit=0").j.contains("facets"));
    Reply one = MustSearch("", "facets=year");
    CHECK(one.j["facets"].size() == 1);
  }
  SECTION("under filters") {
    Reply r = MustSearch("", "facets=source,section,year,language&from=2024-01-01&lang=en&limit=100");
    INFO(r.body.substr(0, 2000));
    auto pred = [](const json& a) {
      return a["published"].get<std::string>() >= "2024-01-01" && HasLanguage(a, "en");
    };
    auto want = fixture_counts(pred);
    for (const char* f : {"source", "section", "year", "language"}) {
      INFO(f);
      CHECK(Facet(r.j, f) == want[f]);
    }
    CHECK(Sum(Facet(r.j, "source")) == r.j["total"].get<uint64_t>());
    CHECK(Facet(r.j, "language")["en"] == r.j["total"].get<uint64_t>());
    Reply src = MustSearch("", "facets=source,year&source=reuters,bbc");
    CHECK(Facet(src.j, "source") == std::map<std::string, uint64_t>{{"Reuters", 4}, {"BBC", 1}});
    CHECK(Sum(Facet(src.j, "year")) == 5);
  }
  SECTION("with queries: counts agree with the hits") {
    // Every fixture article has a source and a date, so the source and year
    // counts add up to `total`; with a page holding every match, the counts
    // are those of the hits. "\"trade war\"" is relaxed: two articles have
    // the phrase and the third (the words apart) fills the page, and counts.
    for (const std::string q :
         {"Taiwan", "Matsu", "cable", "tariffs", "\"trade war\"", "trade war", "Kaohsiung port"}) {
      Reply r = MustSearch(q, "facets=source,section,year,language&limit=100");
      INFO("q=" << q << ": " << r.body.substr(0, 3000));
      REQUIRE_FALSE(r.j["hits"].empty());
      const uint64_t total = r.j["total"].get<uint64_t>();
      CHECK(total == r.j["hits"].size());
      CHECK(Sum(Facet(r.j, "source")) == total);
      CHECK(Sum(Facet(r.j, "section")) == total);
      std::map<std::string, uint64_t> years, sources, langs;
      for (const auto& h : r.j["hits"]) {
        ++years[h["published"].get<std::string>().substr(0, 4)];
        ++sources[h["source"].get<std::string>()];
        for (const char* l : {"en", "zh"})
          if (HasKeyFor(h["snippet"], l)) ++langs[l];
      }
      CHECK(Facet(r.j, "year") == years);
      CHECK(Facet(r.j, "source") == sources);
      CHECK(Facet(r.j, "language") == langs);
    }
  }
  SECTION("an unknown facet is a 400") {
    CheckError(Search("Taiwan", "facets=source,author"), 400, "facets");
    CHECK(Search("Taiwan", "facets=source,author").j["error"]["message"].get<std::string>().find("author") !=
          std::string::npos);
    CheckError(Search("Taiwan", "facets=year&facets=month"), 400, "facets");
  }
}

TEST_CASE("Paging: pages are disjoint and add up; deep paging is capped", "[http][search][paging]") {
  for (const std::string q : {"", "Taiwan OR cable OR tariffs OR 馬祖"}) {
    INFO("q=" << q);
    Reply big = MustSearch(q, "limit=12");
    const auto all = Ids(big.j);
    REQUIRE(all.size() >= 6);
    CHECK(big.j["total_exact"].is_boolean());
    std::vector<std::string> paged;
    std::set<std::string> seen;
    for (size_t off = 0; off < all.size(); off += 4) {
      Reply p = MustSearch(q, "limit=4&offset=" + std::to_string(off));
      CHECK(p.j["total_exact"].is_boolean());
      // An exact total is the same on every page (a short page may only estimate it).
      if (p.j["total_exact"] == true && big.j["total_exact"] == true) CHECK(p.j["total"] == big.j["total"]);
      for (const auto& id : Ids(p.j)) {
        CHECK(seen.insert(id).second);  // disjoint
        paged.push_back(id);
      }
    }
    paged.resize(std::min(paged.size(), all.size()));
    CHECK(paged == all);
    if (big.j["total_exact"] == true && big.j["total"].get<size_t>() <= all.size())
      CHECK(seen.size() == big.j["total"].get<size_t>());
  }
  SECTION("past the end") {
    Reply r = MustSearch("", "offset=14&limit=5");
    CHECK(r.j["hits"].size() == 1);
    CHECK(Ids(r.j) == std::vector<std::string>{kTyphoon});  // the oldest
    Reply past = MustSearch("", "offset=20&limit=5");
    CHECK(past.j["hits"].empty());
    CHECK(past.j["total"] == kArticles);
  }
  SECTION("offset + limit may not exceed 1000") {
    CHECK(Search("Taiwan", "offset=990&limit=10").status == 200);
    CHECK(Search("Taiwan", "offset=1000&limit=0").status == 200);
    CheckError(Search("Taiwan", "offset=991&limit=10"), 400, "offset");
    CheckError(Search("Taiwan", "offset=1000&limit=1"), 400, "offset");
    CheckError(Search("Taiwan", "offset=1001&limit=0"), 400, "offset");
    CheckError(Search("", "offset=950&limit=100"), 400, "offset");
  }
}

TEST_CASE("Phrases match adjacent words; Chinese phrases match whole words", "[http][search][syntax]") {
  SECTION("\"京都\" finds Kyoto, not 東京都") {
    CHECK(ExactIds("\"京都\"") == std::set<std::string>{kKyoto});
    CHECK(ExactIds("\"京都\"", "cross=off") == std::set<std::string>{kKyoto});
    CHECK(ExactIds("「京都」") == std::set<std::string>{kKyoto});  // full-width quotes
    Reply r = MustSearch("\"京都\"", "limit=1");
    REQUIRE(r.j["hits"].size() == 1);
    CHECK(r.j["hits"][0]["id"] == kKyoto);
    CHECK(Str(r.j["hits"][0]["snippet"], "zh-Hant").find("<mark>京都</mark>的寺廟") != std::string::npos);
    // And the other way round.
    CHECK(ExactIds("\"東京都\"") == std::set<std::string>{kTokyo});
    // The explanation reports the phrase's language.
    CHECK(r.j["query"]["detected_language"] == "zh");
    // Issue 22: a page that is not full is not filled with 東京都 articles
    // as relaxed hits (東<mark>京都</mark>): a phrase is never loosened,
    // alone or beside a word (relaxation drops parts, not adjacency).
    for (const char* q : {"\"京都\"", "「京都」", "\"京都\" 寺廟"}) {
      Reply page = MustSearch(q, "limit=20");
      INFO(q);
      CHECK(Pos(Ids(page.j), kTokyo) < 0);
      for (const auto& h : page.j["hits"])
        CHECK(h["snippet"].dump().find("東<mark>京都</mark>") == std::string::npos);
    }
  }
  SECTION("\"trade war\" vs trade war") {
    CHECK(ExactIds("\"trade war\"", "cross=off") == std::set<std::string>{kTradeWar, kChipTariffs});
    CHECK(ExactIds("trade war", "cross=off") == std::set<std::string>{kTradeWar, kChipTariffs, kGrain});
    CHECK(ExactIds("“trade war”", "cross=off") == std::set<std::string>{kTradeWar, kChipTariffs});
    // Issue 22: a phrase is a constraint, not a hint. A page that is not
    // full is not filled with articles that hold the words apart.
    Reply r = MustSearch("\"trade war\"", "cross=off&limit=10");
    auto ids = Ids(r.j);
    CHECK(r.j["query"]["relaxed"] == false);
    CHECK(r.j["query"]["detected_language"] == "en");
    CHECK(std::set<std::string>(ids.begin(), ids.end()) == std::set<std::string>{kTradeWar, kChipTariffs});
    // Beside a plain word, relaxation may drop the phrase or the word, but
    // never match the phrase's words apart: kGrain (trade and war apart,
    // no tariffs) does not come back; an article with the word does.
    Reply r2 = MustSearch("\"trade war\" tariffs", "cross=off&limit=10");
    auto ids2 = Ids(r2.j);
    CHECK(r2.j["query"]["relaxed"] == true);
    CHECK(Pos(ids2, kGrain) < 0);
    REQUIRE(Pos(ids2, kChipTariffs) >= 0);  // the phrase and the word
    CHECK_FALSE(r2.j["hits"][Pos(ids2, kChipTariffs)].value("relaxed", false));
    // With a word kGrain holds, it is a relaxed hit for that word alone.
    Reply r3 = MustSearch("\"trade war\" wheat", "cross=off&limit=10");
    auto ids3 = Ids(r3.j);
    REQUIRE(Pos(ids3, kGrain) >= 0);
    CHECK(r3.j["hits"][Pos(ids3, kGrain)].value("relaxed", false));
  }
  SECTION("phrase in titles only: title:\"...\"") {
    CHECK(ExactIds("title:\"trade war\"") == std::set<std::string>{kTradeWar});
    CHECK(ExactIds("title:\"assembly lines\"").empty());  // in the body, not the title
    CHECK(ExactIds("\"assembly lines\"") == std::set<std::string>{kTradeWar});
    CHECK(ExactIds("title:\"trade war\" tariffs", "cross=off") == std::set<std::string>{kTradeWar});
    CHECK(ExactIds("title:颱風") == std::set<std::string>{kTyphoon});
    CHECK(ExactIds("title:\"海底電纜\"") == std::set<std::string>{kStoryHant, kStoryHans});
    CHECK(ExactIds("title:台风", "cross=off") ==
          std::set<std::string>{kTyphoon});  // Simplified finds Traditional
  }
}

TEST_CASE("OR, exclusion, grouping and field prefixes", "[http][search][syntax]") {
  const std::string off = "cross=off";
  CHECK(ExactIds("tariffs", off) == std::set<std::string>{kTradeWar, kChipTariffs});
  SECTION("OR") {
    CHECK(ExactIds("mangoes OR typhoon", off) == std::set<std::string>{kMango, kTyphoon});
    // A plain Chinese word also matches its characters inside a longer word
    // (京都 in 東京都, through the bigram); only a phrase asks for the whole
    // word. (This passed without 東京都 while bigrams were not indexed:
    // issue 14.)
    CHECK(ExactIds("京都 OR 國防", off) == std::set<std::string>{kKyoto, kTokyo, kDefence});
    CHECK(ExactIds("\"京都\" OR 國防", off) == std::set<std::string>{kKyoto, kDefence});
    CHECK(ExactIds("mangoes OR 國防", off) == std::set<std::string>{kMango, kDefence});
  }
  SECTION("-word and NOT") {
    CHECK(ExactIds("tariffs -stocks", off) == std::set<std::string>{kTradeWar});
    CHECK(ExactIds("tariffs NOT stocks", off) == std::set<std::string>{kTradeWar});
    CHECK(ExactIds("war -\"trade war\"", off) == std::set<std::string>{kGrain});
    CHECK(ExactIds("海底電纜", off) == std::set<std::string>{kStoryHant, kStoryHans});
    CHECK(ExactIds("海底電纜 -馬祖", off).empty());
    // A Simplified exclusion removes the Traditional article (漁船 = 渔船).
    CHECK(ExactIds("海底电缆 -渔船", off) == std::set<std::string>{kStoryHans});
    // A hyphen inside a word is not an exclusion.
    CHECK(ExactIds("year-end", off) == std::set<std::string>{kPortWire, kPortRepost});
  }
  SECTION("parentheses") {
    CHECK(ExactIds("(mangoes OR typhoon) Hualien", off) == std::set<std::string>{kTyphoon});
    CHECK(ExactIds("(mangoes OR typhoon) -Hualien", off) == std::set<std::string>{kMango});
    CHECK(ExactIds("(war OR tariffs) -(stocks OR Ukraine)", off) == std::set<std::string>{kTradeWar});
    CHECK(ExactIds("（mangoes OR typhoon） Hualien", off) == std::set<std::string>{kTyphoon});  // full-width
  }
  SECTION("source: and section:") {
    CHECK(ExactIds("war source:\"Taipei Times\"", off) == std::set<std::string>{kGrain});
    CHECK(ExactIds("war source:reuters", off) == std::set<std::string>{kTradeWar, kChipTariffs});
    CHECK(ExactIds("war source:REUTERS", off) == std::set<std::string>{kTradeWar, kChipTariffs});
    const auto reuters = Expected([](const json& a) { return a["source"] == "Reuters"; });
    CHECK(ExactIds("source:reuters") == std::set<std::string>(reuters.begin(), reuters.end()));
    CHECK(ExactIds("source:\"liberty times\"") == std::set<std::string>{kKyoto, kDefence, kMango});
    CHECK(ExactIds("section:politics") == std::set<std::string>{kDefence, kRecall});
    CHECK(ExactIds("budget section:politics", off) == std::set<std::string>{kRecall});
    // With translation the Chinese defence budget report joins (預算 = budget).
    CHECK(ExactIds("budget section:politics") == std::set<std::string>{kRecall, kDefence});
    CHECK(ExactIds("source:reuters OR source:bbc") ==
          std::set<std::string>{kTradeWar, kChipTariffs, kStoryEn, kPortWire, kRecall});
    CHECK(ExactIds("section:business -source:reuters") ==
          std::set<std::string>{kGrain, kEscape, kPortRepost});
    CHECK(ExactIds("Kaohsiung source:nobody").empty());
  }
}

TEST_CASE("Snippets highlight the original text and are HTML-escaped", "[http][search][snippet]") {
  SECTION("a Simplified query marks the Traditional characters") {
    Reply r = MustSearch("国防");
    const json* h = HitById(r.j, kDefence);
    REQUIRE(h);
    const std::string s = Str((*h)["snippet"], "zh-Hant");
    INFO(s);
    CHECK(s.find("<mark>國防</mark>") != std::string::npos);
    CHECK(s.find("国防") == std::string::npos);
    CHECK(Str((*h)["title"], "zh-Hant") == Story().by_id[kDefence]["title"]["zh-Hant"]);

    Reply c = MustSearch("海底电缆", "cross=off");
    const json* cut = HitById(c.j, kStoryHant);
    REQUIRE(cut);
    const std::string cs = Str((*cut)["snippet"], "zh-Hant");
    INFO(cs);
    CHECK(cs.find("<mark>海底電纜</mark>") != std::string::npos);
    CHECK(cs.find("电缆") == std::string::npos);
    const json* hans = HitById(c.j, kStoryHans);
    REQUIRE(hans);
    CHECK(Str((*hans)["snippet"], "zh-Hans").find("<mark>海底电缆</mark>") != std::string::npos);
  }
  SECTION("an English query marks stemmed forms") {
    Reply r = MustSearch("harvest", "cross=off");
    const json* h = HitById(r.j, kMango);
    REQUIRE(h);
    const std::string s = Str((*h)["snippet"], "en");
    INFO(s);
    CHECK(s.find("<mark>harvested</mark>") != std::string::npos);
    CHECK(s.find("<mark>Harvesting</mark>") != std::string::npos);
    Reply t = MustSearch("tariff", "cross=off");
    const json* tw = HitById(t.j, kTradeWar);
    REQUIRE(tw);
    CHECK(Str((*tw)["snippet"], "en").find("<mark>Tariffs</mark>") != std::string::npos);
  }
  SECTION("snippets are HTML-escaped except <mark>; titles are plain text") {
    Reply r = MustSearch("margin", "cross=off&snippet_length=1000");
    const json* h = HitById(r.j, kEscape);
    REQUIRE(h);
    const std::string s = Str((*h)["snippet"], "en");
    INFO(s);
    CHECK(s.find("Lin &amp; Chao") != std::string::npos);
    CHECK(s.find("&quot;above 50%&quot;") != std::string::npos);
    CHECK(s.find("&lt;3nm") != std::string::npos);
    CHECK(s.find("A&amp;B Corp") != std::string::npos);
    CHECK(s.find("&lt; 10%") != std::string::npos);
    CHECK(s.find("<mark>margin</mark>") != std::string::npos);
    const std::string stripped = testutil::WithoutMarks(s);
    CHECK(stripped.find('<') == std::string::npos);
    CHECK(stripped.find('>') == std::string::npos);
    CHECK(stripped.find('"') == std::string::npos);
    for (size_t p = stripped.find('&'); p != std::string::npos; p = stripped.find('&', p + 1)) {
      INFO("at " << p << ": " << stripped.substr(p, 8));
      const bool entity = stripped.compare(p, 5, "&amp;") == 0 || stripped.compare(p, 4, "&lt;") == 0 ||
                          stripped.compare(p, 4, "&gt;") == 0 || stripped.compare(p, 6, "&quot;") == 0 ||
                          stripped.compare(p, 5, "&#39;") == 0;
      CHECK(entity);
    }
    // The body (270 characters) is shorter than snippet_length, so the
    // snippet is all of it: decoded, it is the article text, from the first word.
    CHECK(PlainText(s) == Story().by_id[kEscape]["body"]["en"].get<std::string>());
    CHECK(s.rfind("Analysts at Lin", 0) == 0);
    // The title is the stored text, not escaped.
    CHECK(Str((*h)["title"], "en") == Story().by_id[kEscape]["title"]["en"]);
    CHECK(Str((*h)["title"], "en").find("<3nm") != std::string::npos);
  }
  SECTION("snippet_length sets the snippet length") {
    const std::string body = Story().by_id[kPortWire]["body"]["en"];
    REQUIRE(Utf8Chars(body) > 600);
    auto snippet = [&](const std::string& extra) {
      Reply r = MustSearch("Kaohsiung", "cross=off" + extra);
      const json* h = HitById(r.j, kPortWire);
      REQUIRE(h);
      return Str((*h)["snippet"], "en");
    };
    const std::string s40 = snippet("&snippet_length=40");
    const std::string s160 = snippet("");
    const std::string s400 = snippet("&snippet_length=400");
    INFO("40: " << s40 << "\n160: " << s160 << "\n400: " << s400);
    const size_t n40 = Utf8Chars(PlainText(s40)), n160 = Utf8Chars(PlainText(s160)),
                 n400 = Utf8Chars(PlainText(s400));
    // At most the asked-for characters, plus an ellipsis at either end.
    CHECK(n40 <= 40 + 2);
    CHECK(n160 <= 160 + 2);
    CHECK(n400 <= 400 + 2);
    CHECK(n40 >= 20);
    CHECK(n160 > n40);
    CHECK(n400 > n160);
    CHECK(n400 >= 300);
    CHECK(s40.find("<mark>Kaohsiung</mark>") != std::string::npos);
    // Chinese text counts characters, not bytes.
    Reply z = MustSearch("馬祖", "cross=off&snippet_length=30");
    const json* cut = HitById(z.j, kStoryHant);
    REQUIRE(cut);
    const std::string zs = Str((*cut)["snippet"], "zh-Hant");
    INFO(zs);
    CHECK(Utf8Chars(PlainText(zs)) <= 30 + 2);
    CHECK(Utf8Chars(PlainText(zs)) >= 15);
    CHECK(zs.find("<mark>馬祖</mark>") != std::string::npos);
  }
  SECTION("snippet_length is validated") {
    CheckError(Search("Kaohsiung", "snippet_length=19"), 400, "snippet_length");
    CheckError(Search("Kaohsiung", "snippet_length=0"), 400, "snippet_length");
    CheckError(Search("Kaohsiung", "snippet_length=-20"), 400, "snippet_length");
    CheckError(Search("Kaohsiung", "snippet_length=1001"), 400, "snippet_length");
    CheckError(Get("/articles/" + kPortWire + "/related?snippet_length=19"), 400, "snippet_length");
    CheckError(Get("/articles/" + kPortWire + "/related?snippet_length=2000"), 400, "snippet_length");
  }
}

// CC-CEDICT lists 年 as the Simplified form of the old variant 秊 "grain/
// harvest (old)". Searching "harvest" must not match every Chinese text that
// mentions a year (2023年): the Matsu cable report says nothing about crops.
TEST_CASE("An English word does not match Chinese text through a rare variant sense",
          "[http][search][cross]") {
  Reply r = MustSearch("harvest", "limit=20");
  INFO(r.body.substr(0, 2000));
  CHECK(Has(Ids(r.j), kMango));
  CHECK_FALSE(Has(Ids(r.j), kStoryHans));
}

TEST_CASE("Related coverage across languages and time", "[http][search][related]") {
  const std::string base = "/articles/" + kStoryEn + "/related";
  SECTION("the English follow-up finds the earlier Traditional-only report") {
    Reply r = Get(base);
    INFO(r.body.substr(0, 2000));
    REQUIRE(r.status == 200);
    const auto ids = Ids(r.j);
    CHECK(Has(ids, kStoryHant));
    CHECK(Has(ids, kStoryHans));
    CHECK_FALSE(Has(ids, kStoryEn));
    // The story's two Chinese reports lead.
    REQUIRE(ids.size() >= 2);
    CHECK(std::set<std::string>(ids.begin(), ids.begin() + 2) ==
          std::set<std::string>{kStoryHant, kStoryHans});
    const json* h = HitById(r.j, kStoryHant);
    REQUIRE(h);
    CHECK(Str((*h)["title"], "zh-Hant") == Story().by_id[kStoryHant]["title"]["zh-Hant"]);
    CHECK(Str((*h)["snippet"], "zh-Hant").find("<mark>") != std::string::npos);
    CHECK((*h)["published"] == "2023-02-10");
    CHECK(r.j["query"]["words"].is_array());
    CHECK_FALSE(r.j["query"]["words"].empty());
  }
  SECTION("and the other way round") {
    Reply r = Get("/articles/" + kStoryHant + "/related?limit=3");
    REQUIRE(r.status == 200);
    INFO(r.body.substr(0, 2000));
    const auto ids = Ids(r.j);
    CHECK(ids.size() <= 3);
    CHECK(Has(ids, kStoryEn));
    CHECK(Has(ids, kStoryHans));
  }
  SECTION("before= keeps only strictly earlier articles") {
    Reply r = Get(base + "?before=2024-03-15");
    REQUIRE(r.status == 200);
    INFO(r.body.substr(0, 2000));
    const auto ids = Ids(r.j);
    CHECK(Has(ids, kStoryHant));
    CHECK_FALSE(Has(ids, kStoryHans));  // 2025: later
    for (const auto& h : r.j["hits"]) CHECK(h["published"].get<std::string>() < "2024-03-15");
    // The day itself is excluded.
    Reply day = Get(base + "?before=2023-02-10");
    REQUIRE(day.status == 200);
    CHECK_FALSE(Has(Ids(day.j), kStoryHant));
    for (const auto& h : day.j["hits"]) CHECK(h["published"].get<std::string>() < "2023-02-10");
    Reply next = Get(base + "?before=2023-02-11");
    CHECK(Has(Ids(next.j), kStoryHant));
    CheckError(Get(base + "?before=2024-3-15"), 400, "before");
  }
  SECTION("limit") {
    Reply one = Get(base + "?limit=1");
    REQUIRE(one.status == 200);
    CHECK(one.j["hits"].size() == 1);
    Reply zero = Get(base + "?limit=0");
    REQUIRE(zero.status == 200);
    CHECK(zero.j["hits"].empty());
    CHECK(Get(base + "?limit=100").status == 200);
    CheckError(Get(base + "?limit=101"), 400, "limit");
    CheckError(Get(base + "?limit=-1"), 400, "limit");
    CheckError(Get(base + "?limit=ten"), 400, "limit");
  }
  SECTION("an unknown id is a 404") {
    CheckError(Get("/articles/sf-no-such-story/related"), 404);
    CheckError(Get("/articles/sf-no-such-story/related?limit=5&before=2024-01-01"), 404);
    CheckError(Get("/articles/sf-no-such-story"), 404);
  }
  SECTION("an article's own near-duplicate is not offered") {
    Reply w = Get("/articles/" + kPortWire + "/related?limit=100");
    REQUIRE(w.status == 200);
    CHECK_FALSE(Has(Ids(w.j), kPortRepost));
    CHECK_FALSE(Has(Ids(w.j), kPortWire));
    Reply p = Get("/articles/" + kPortRepost + "/related?limit=100");
    REQUIRE(p.status == 200);
    CHECK_FALSE(Has(Ids(p.j), kPortWire));
    CHECK_FALSE(Has(Ids(p.j), kPortRepost));
  }
}

TEST_CASE("collapse=duplicates folds the same wire story from two outlets", "[http][search][duplicates]") {
  SECTION("/articles/{id} lists the near-duplicate") {
    Reply w = Get("/articles/" + kPortWire);
    REQUIRE(w.status == 200);
    CHECK(w.j["duplicates"] == json::array({kPortRepost}));
    CHECK(w.j["source"] == "Reuters");
    Reply p = Get("/articles/" + kPortRepost);
    REQUIRE(p.status == 200);
    CHECK(p.j["duplicates"] == json::array({kPortWire}));
    CHECK(p.j["source"] == "Taipei Times");
    // Different coverage of one story is not a duplicate.
    for (const std::string& id : {kStoryHant, kStoryEn, kStoryHans, kTradeWar, kChipTariffs}) {
      Reply a = Get("/articles/" + id);
      REQUIRE(a.status == 200);
      INFO(id);
      CHECK(a.j["duplicates"] == json::array());
    }
  }
  SECTION("search folds the pair into one hit") {
    const std::string q = "Kaohsiung port container";
    Reply plain = MustSearch(q);
    CHECK(Has(Ids(plain.j), kPortWire));
    CHECK(Has(Ids(plain.j), kPortRepost));
    for (const auto& h : plain.j["hits"]) CHECK_FALSE(h.contains("duplicates"));
    CHECK(IdSet(MustSearch(q, "collapse=none").j) == IdSet(plain.j));

    Reply c = MustSearch(q, "collapse=duplicates");
    INFO(c.body.substr(0, 2000));
    const auto ids = Ids(c.j);
    CHECK(Has(ids, kPortWire) != Has(ids, kPortRepost));
    const json* h = HitById(c.j, Has(ids, kPortWire) ? kPortWire : kPortRepost);
    REQUIRE(h);
    CHECK((*h)["duplicates"] == 1);
    // Hits with no duplicate carry none.
    for (const auto& x : c.j["hits"])
      if (x["id"] != kPortWire && x["id"] != kPortRepost) CHECK(x.value("duplicates", 0) == 0);
    // Under a filter that keeps only one of them there is nothing to fold.
    Reply one = MustSearch(q, "collapse=duplicates&source=reuters");
    CHECK(IdSet(one.j) == std::set<std::string>{kPortWire});
    REQUIRE_FALSE(one.j["hits"].empty());
    CHECK(one.j["hits"][0].value("duplicates", 0) == 0);
    // Sorted by date, too.
    Reply d = MustSearch(q, "collapse=duplicates&sort=-date");
    CHECK(Has(Ids(d.j), kPortWire) != Has(Ids(d.j), kPortRepost));
  }
}

// Last: every request above went to this server, so /metrics must show them.
TEST_CASE("/metrics counts the requests made", "[http][search][metrics]") {
  // A few more, with distinct routes and statuses.
  CHECK(Get("/articles/sf-metrics-missing").status == 404);
  CHECK(Get("/search?q=x&limit=1000").status == 400);
  CHECK(Get("/stats").status == 200);
  CHECK(Get("/health").status == 200);
  CHECK(Get("/no-such-route").status == 404);

  // A request is recorded just after its response is sent: poll briefly.
  auto line = [](const std::string& route, int status, uint64_t n) {
    return "tongwen_requests_total{route=\"" + route + "\",status=\"" + std::to_string(status) + "\"} " +
           std::to_string(n) + "\n";
  };
  std::string body;
  bool all_match = false;
  for (int attempt = 0; attempt < 40 && !all_match; ++attempt) {
    const auto sent = Sent();  // before this /metrics request
    Reply m = Get("/metrics");
    REQUIRE(m.status == 200);
    body = m.body;
    all_match = true;
    uint64_t total = 0;
    for (const auto& [key, n] : sent) {
      total += n;
      bool ok = body.find(line(key.first, key.second, n)) != std::string::npos;
      // The previous /metrics request may still be in flight.
      if (!ok && key.first == "/metrics")
        ok = body.find(line(key.first, key.second, n - 1)) != std::string::npos;
      all_match = all_match && ok;
    }
    const bool count_ok =
        body.find("tongwen_request_duration_seconds_count " + std::to_string(total) + "\n") !=
            std::string::npos ||
        body.find("tongwen_request_duration_seconds_count " + std::to_string(total - 1) + "\n") !=
            std::string::npos;
    all_match = all_match && count_ok;
    if (!all_match) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(body);
  std::ostringstream want;
  for (const auto& [key, n] : Sent()) want << key.first << " " << key.second << " " << n << "\n";
  INFO("sent by this test:\n" << want.str());
  CHECK(all_match);
  CHECK(Sent().count({"/search", 200}) == 1);
  CHECK(Sent().count({"/search", 400}) == 1);
  CHECK(Sent().count({"/articles/{id}", 404}) == 1);
  CHECK(body.find(line("other", 404, Sent()[{"other", 404}])) != std::string::npos);
  CHECK(body.find("tongwen_documents " + std::to_string(kArticles) + "\n") != std::string::npos);
  CHECK(body.find("tongwen_errors_total 0\n") != std::string::npos);
}
