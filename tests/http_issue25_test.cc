// Issue 25 over HTTP: POST /related (prior coverage of a draft, across
// languages) and GET /feed (a search as an Atom feed, with a conditional
// GET), against a real searchd on port 0.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

#include "tongwen/index.h"

using nlohmann::json;
using testutil::Reply;

namespace {

std::string SamplePath() { return std::string(TONGWEN_SOURCE_DIR) + "/data/sample/articles.jsonl"; }

// The stories whose archive copy keeps one language only, and the other
// language's body, which the tests paste as a draft.
constexpr const char* kZhOnly = "reuters-2023-0720-tsmc-arizona-delay";     // archived in Chinese only
constexpr const char* kEnOnly = "udn-2025-0403-reciprocal-tariffs-taiwan";  // archived in English only

// The sample archive with kZhOnly cut to its Chinese versions and kEnOnly to
// its English one, plus an article whose title holds XML's special characters.
struct DraftServer {
  testutil::TempDir dir;
  std::string db;
  std::map<std::string, json> original;  // the sample's articles as they are
  std::unique_ptr<testutil::Searchd> searchd;

  static void Keep(json* a, bool chinese) {
    for (const char* field : {"title", "body"}) {
      json kept = json::object();
      for (auto& [tag, text] : (*a)[field].items())
        if ((tag.rfind("zh", 0) == 0) == chinese) kept[tag] = text;
      (*a)[field] = kept;
    }
  }

  DraftServer() : db(dir / "db") {
    std::ifstream in(SamplePath());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json a = json::parse(line);
      const std::string id = a["id"];
      original[id] = a;
      if (id == kZhOnly) Keep(&a, true);
      if (id == kEnOnly) Keep(&a, false);
      lines.push_back(a.dump());
    }
    lines.push_back(json{{"id", "esc-1"},
                         {"source", "A&B <News>"},
                         {"published", "2026-01-02"},
                         {"title", {{"en", "Tom & Jerry <say> \"hi\" 'there'"}}},
                         {"body", {{"en", "Cats & mice <b>bold</b> typhoon \x01 report."}}}}
                        .dump());
    tongwen::IngestOptions io;
    io.db_dir = db;
    io.lexicon = testutil::FullLexicon();
    io.threads = 1;
    const std::string file = dir / "articles.jsonl";
    std::string all;
    for (const std::string& l : lines) all += l + "\n";
    testutil::WriteFile(file, all);
    tongwen::IngestReport rep;
    tongwen::Status s = tongwen::Rebuild(io, {file}, &rep);
    if (!s.ok()) throw std::runtime_error("rebuild: " + s.ToString());
    searchd = std::make_unique<testutil::Searchd>(db, std::vector<std::string>{"--quiet"});
    if (!searchd->ok()) throw std::runtime_error("searchd did not start; see " + searchd->log());
  }
};

DraftServer& Server() {
  static DraftServer s;
  return s;
}

// Sends `request` as it is and reads the reply until the server closes or a
// whole response (by Content-Length) has arrived: status line, headers and
// body as received.
std::string Raw(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return {};
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

int StatusOf(const std::string& response) {
  return response.size() > 12 ? std::atoi(response.substr(9, 3).c_str()) : -1;
}
std::string BodyOf(const std::string& response) {
  const size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : response.substr(p + 4);
}

std::string PostHead(const std::string& target, const std::string& content_type, size_t length,
                     const std::string& extra = "") {
  std::string h = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty()) h += "Content-Type: " + content_type + "\r\n";
  return h + "Content-Length: " + std::to_string(length) + "\r\n" + extra + "\r\n";
}

Reply Post(const std::string& body, const std::string& content_type = "application/json") {
  const std::string r = Raw(Server().searchd->port(), PostHead("/related", content_type, body.size()) + body);
  return testutil::MakeReply(StatusOf(r), BodyOf(r));
}

Reply PostDraft(const json& body) { return Post(body.dump()); }

std::vector<std::string> HitIds(const json& j) {
  std::vector<std::string> ids;
  if (j.is_object() && j.contains("hits"))
    for (const auto& h : j["hits"]) ids.push_back(h.value("id", ""));
  return ids;
}

size_t RankOf(const json& j, const std::string& id) {
  const std::vector<std::string> ids = HitIds(j);
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == id) return i + 1;
  return 0;
}

std::string BodyIn(const json& a, const std::string& prefix) {
  for (auto& [tag, text] : a["body"].items())
    if (tag.rfind(prefix, 0) == 0) return text;
  return {};
}

}  // namespace

TEST_CASE("issue 25: POST /related finds the Chinese-only archive copy of an English draft",
          "[http][issue25]") {
  auto& s = Server();
  if (!testutil::FullLexicon()) {
    WARN("no dictionary in build/share (scripts/build fetches it): skipped");
    return;
  }
  const std::string draft = BodyIn(s.original[kZhOnly], "en");
  REQUIRE(!draft.empty());
  Reply r = PostDraft({{"text", draft}, {"limit", 5}});
  REQUIRE(r.status == 200);
  INFO(r.body.substr(0, 600));
  const size_t rank = RankOf(r.j, kZhOnly);
  CHECK(rank >= 1);
  CHECK(rank <= 3);
  const json& hit = r.j["hits"][rank ? rank - 1 : 0];
  CHECK(hit["matched_via"] == "translation");  // the archive copy has no English
  CHECK(hit["snippet"].contains("zh-Hant"));
  CHECK(r.j["query"]["detected_language"] == "en");
  CHECK(r.j["query"]["mode"] == "related");
  CHECK(!r.j["query"]["words"].empty());
  bool translated = false;
  for (const auto& w : r.j["query"]["words"]) translated = translated || !w["translations"].empty();
  CHECK(translated);
  CHECK(r.j["hits"].size() <= 5);
}

TEST_CASE("issue 25: POST /related finds the English-only archive copy of a Chinese draft, in either script",
          "[http][issue25]") {
  auto& s = Server();
  if (!testutil::FullLexicon()) {
    WARN("no dictionary in build/share (scripts/build fetches it): skipped");
    return;
  }
  const std::string draft = BodyIn(s.original[kEnOnly], "zh");
  REQUIRE(!draft.empty());
  Reply r = PostDraft({{"text", draft}, {"title", s.original[kEnOnly]["title"]["zh-Hant"]}});
  REQUIRE(r.status == 200);
  INFO(r.body.substr(0, 600));
  const size_t rank = RankOf(r.j, kEnOnly);
  CHECK(rank >= 1);
  CHECK(rank <= 3);
  CHECK(r.j["query"]["detected_language"] == "zh");
}

TEST_CASE("issue 25: a same-language draft ranks its story first; a bilingual draft is read as mixed",
          "[http][issue25]") {
  auto& s = Server();
  const std::string id = "cna-2024-0403-hualien-quake";
  Reply r = PostDraft({{"text", BodyIn(s.original[id], "zh")}});
  REQUIRE(r.status == 200);
  REQUIRE(!HitIds(r.j).empty());
  CHECK(HitIds(r.j)[0] == id);
  CHECK(r.j["hits"][0]["matched_via"] == "original");
  Reply both = PostDraft({{"text", BodyIn(s.original[id], "en") + "\n" + BodyIn(s.original[id], "zh")}});
  REQUIRE(both.status == 200);
  CHECK(both.j["query"]["detected_language"] == "mixed");
  REQUIRE(!HitIds(both.j).empty());
  CHECK(HitIds(both.j)[0] == id);
}

TEST_CASE("issue 25: POST /related filters: before, lang, source, limit, collapse", "[http][issue25]") {
  auto& s = Server();
  const std::string text = BodyIn(s.original["cna-2024-0723-gaemi-land-warning"], "zh");
  Reply all = PostDraft({{"text", text}, {"limit", 20}});
  REQUIRE(all.status == 200);
  REQUIRE(all.j["hits"].size() >= 3);
  Reply before = PostDraft({{"text", text}, {"limit", 20}, {"before", "2024-07-23"}});
  REQUIRE(before.status == 200);
  for (const auto& h : before.j["hits"]) CHECK(h["published"].get<std::string>() < "2024-07-23");
  Reply en = PostDraft({{"text", text}, {"limit", 20}, {"lang", "en"}});
  REQUIRE(en.status == 200);
  for (const auto& h : en.j["hits"]) CHECK(h["title"].contains("en"));
  Reply src =
      PostDraft({{"text", text}, {"limit", 20}, {"source", json::array({"liberty times", "Xinhua"})}});
  REQUIRE(src.status == 200);
  REQUIRE(!src.j["hits"].empty());
  for (const auto& h : src.j["hits"]) CHECK((h["source"] == "Liberty Times" || h["source"] == "Xinhua"));
  Reply one = PostDraft({{"text", text}, {"limit", 1}});
  CHECK(one.j["hits"].size() == 1);
  // The two Gaemi land warnings (CNA and its Yahoo re-post) are one story.
  Reply folded = PostDraft({{"text", text}, {"limit", 20}, {"collapse", "duplicates"}});
  REQUIRE(folded.status == 200);
  const size_t cna = RankOf(folded.j, "cna-2024-0723-gaemi-land-warning");
  const size_t yahoo = RankOf(folded.j, "yahoo-2024-0723-gaemi-land-warning");
  CHECK((cna == 0) != (yahoo == 0));
  const size_t at = cna ? cna : yahoo;
  REQUIRE(at > 0);
  CHECK(folded.j["hits"][at - 1].value("duplicates", 0) == 1);
  CHECK(RankOf(all.j, "cna-2024-0723-gaemi-land-warning") > 0);
  CHECK(RankOf(all.j, "yahoo-2024-0723-gaemi-land-warning") > 0);
}

TEST_CASE("issue 25: POST /related refuses bad bodies with a 4xx naming the field", "[http][issue25]") {
  auto& s = Server();
  const int port = s.searchd->port();
  SECTION("Content-Type") {
    for (const char* ct :
         {"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"}) {
      const std::string r = Raw(port, PostHead("/related", ct, 15) + R"({"text": "tax"})");  // "" sends none
      CHECK(StatusOf(r) == 415);
      testutil::CheckErrorEnvelope(testutil::MakeReply(StatusOf(r), BodyOf(r)), 415);
    }
    CHECK(Post(R"({"text": "typhoon"})", "Application/JSON; charset=UTF-8").status == 200);
  }
  SECTION("malformed JSON, invalid UTF-8, not an object, empty") {
    for (const std::string& body : {std::string("{\"text\": "), std::string("{\"text\": \"a\xff\xfe\"}"),
                                    std::string("[\"text\"]"), std::string("\"text\""), std::string("")}) {
      Reply r = Post(body);
      INFO(body);
      CHECK(testutil::CheckErrorEnvelope(r, 400)["code"] == "bad_request");
    }
  }
  SECTION("nested 100k deep is a 400, not a crash") {
    Reply r = Post(std::string(100000, '[') + std::string(100000, ']'));
    CHECK(testutil::CheckErrorEnvelope(r, 400)["message"].get<std::string>().find("nested") !=
          std::string::npos);
    CHECK(PostDraft({{"text", "typhoon"}}).status == 200);  // still serving
  }
  SECTION("fields") {
    CHECK(testutil::CheckErrorEnvelope(PostDraft({{"title", "x"}}), 400, "text")["code"] ==
          "missing_parameter");
    CHECK(testutil::CheckErrorEnvelope(PostDraft({{"text", ""}}), 400, "text")["code"] ==
          "invalid_parameter");
    CHECK(testutil::CheckErrorEnvelope(PostDraft({{"text", " \n "}}), 400, "text")["code"] ==
          "invalid_parameter");
    auto punct = testutil::CheckErrorEnvelope(PostDraft({{"text", "!!! ... ，。？ ---"}}), 400, "text");
    CHECK(punct["message"].get<std::string>().find("no words") != std::string::npos);
    testutil::CheckErrorEnvelope(PostDraft({{"text", 5}}), 400, "text");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"title", json::array()}}), 400, "title");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"limit", 101}}), 400, "limit");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"limit", -1}}), 400, "limit");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"limit", "5"}}), 400, "limit");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"before", "2024-13-01"}}), 400, "before");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"lang", "fr"}}), 400, "lang");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"source", 3}}), 400, "source");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"collapse", "all"}}), 400, "collapse");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"snippet_length", 5}}), 400, "snippet_length");
    testutil::CheckErrorEnvelope(PostDraft({{"text", "tax"}, {"limt", 5}}), 400, "limt");
  }
  SECTION("size: 256 KiB are taken, more is a 413 before the body is read") {
    std::string text(256 * 1024 - 20, 'a');
    for (size_t i = 5; i < text.size(); i += 6) text[i] = ' ';
    const std::string body = "{\"text\": \"" + text + "\"}";
    REQUIRE(body.size() <= 256 * 1024);
    Reply ok = Post(body);
    CHECK(ok.status == 200);  // one word, in no article
    CHECK(ok.j["hits"].empty());
    const std::string r = Raw(port, PostHead("/related", "application/json", 256 * 1024 + 1));
    CHECK(StatusOf(r) == 413);
    CHECK(testutil::MakeReply(413, BodyOf(r)).j["error"]["code"] == "payload_too_large");
  }
  SECTION("methods, and issue 28's Content-Encoding refusal kept") {
    const std::string get =
        Raw(port, "GET /related HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(StatusOf(get) == 405);
    CHECK(get.find("Allow: POST\r\n") != std::string::npos);
    for (const char* method : {"HEAD", "PUT", "FOO"}) {  // FOO: answered by the connection layer
      const std::string r =
          Raw(port, std::string(method) + " /related HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      INFO(method);
      CHECK(StatusOf(r) == 405);
      CHECK(r.find("Allow: POST\r\n") != std::string::npos);
    }
    const std::string post_search = Raw(port, PostHead("/search?q=a", "application/json", 2) + "{}");
    CHECK(StatusOf(post_search) == 405);
    CHECK(post_search.find("Allow: GET, HEAD\r\n") != std::string::npos);
    const std::string gz =
        Raw(port, PostHead("/related", "application/json", 4, "Content-Encoding: gzip\r\n") + "abcd");
    CHECK(StatusOf(gz) == 415);
    // A body on another path is still capped at 64 KiB.
    const std::string big = Raw(port, PostHead("/search", "application/json", 64 * 1024 + 1));
    CHECK(StatusOf(big) == 413);
  }
}

namespace {

// Checks `xml` with tests/atom_check.py (python3's XML parser and RFC 4287's
// structure); returns its report ("ok: N entries" or what is wrong).
std::string AtomCheck(const std::string& xml) {
  testutil::TempDir d;
  testutil::WriteFile(d / "feed.xml", xml);
  std::string out;
  const int rc = testutil::Run(
      "python3 " + std::string(TONGWEN_SOURCE_DIR) + "/tests/atom_check.py " + (d / "feed.xml"), &out);
  return (rc == 0 ? "" : "FAILED ") + out;
}

struct HttpReply {
  int status = -1;
  std::string body, etag, content_type;
};

HttpReply Fetch(int port, const std::string& target, const std::string& if_none_match = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30, 0);
  httplib::Headers h;
  if (!if_none_match.empty()) h.emplace("If-None-Match", if_none_match);
  auto res = cli.Get(target.c_str(), h);
  HttpReply r;
  if (!res) return r;
  r.status = res->status;
  r.body = res->body;
  r.etag = res->get_header_value("ETag");
  r.content_type = res->get_header_value("Content-Type");
  return r;
}

}  // namespace

TEST_CASE("issue 25: GET /feed is a valid Atom feed of the newest matches", "[http][issue25]") {
  auto& s = Server();
  const int port = s.searchd->port();
  HttpReply r = Fetch(port, "/feed?q=" + testutil::UrlEncode("typhoon") + "&limit=50");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/atom+xml; charset=utf-8");
  CHECK(!r.etag.empty());
  const std::string check = AtomCheck(r.body);
  INFO(r.body.substr(0, 2000));
  CHECK(check.rfind("ok:", 0) == 0);
  // The same matches as /search's, newest first, each with its tag: id.
  std::string sb;
  REQUIRE(s.searchd->Get("/search?q=typhoon&sort=-date&limit=50", &sb) == 200);
  const json sj = json::parse(sb);
  size_t from = 0;
  for (const auto& h : sj["hits"]) {
    const std::string id = "<id>tag:tongwen.searchd,2026:article/" + testutil::UrlEncode(h["id"]) + "</id>";
    const size_t at = r.body.find(id, from);
    CHECK(at != std::string::npos);
    if (at != std::string::npos) from = at;
  }
  CHECK(check.find("ok: " + std::to_string(sj["hits"].size()) + " entries") == 0);
  // Cross-language: a Chinese query finds English-only coverage too.
  HttpReply zh = Fetch(port, "/feed?q=" + testutil::UrlEncode("颱風") + "&lang=en");
  REQUIRE(zh.status == 200);
  CHECK(AtomCheck(zh.body).rfind("ok:", 0) == 0);
  CHECK(zh.body.find("taipeitimes-2024-0727-gaemi-aftermath") != std::string::npos);
  CHECK(zh.body.find("xml:lang=\"en\"") != std::string::npos);
}

TEST_CASE("issue 25: GET /feed escapes XML and drops control characters", "[http][issue25]") {
  auto& s = Server();
  HttpReply r = Fetch(s.searchd->port(), "/feed?q=jerry");
  REQUIRE(r.status == 200);
  CHECK(AtomCheck(r.body).rfind("ok: 1 entries", 0) == 0);
  CHECK(r.body.find("Tom &amp; Jerry &lt;say&gt; &quot;hi&quot; &apos;there&apos;") != std::string::npos);
  CHECK(r.body.find("<name>A&amp;B &lt;News&gt;</name>") != std::string::npos);
  CHECK(r.body.find('\x01') == std::string::npos);
}

TEST_CASE("issue 25: GET /feed answers If-None-Match with 304 until the index changes", "[http][issue25]") {
  testutil::TempDir dir;
  const std::string db = testutil::RebuildFrom(dir, testutil::SyntheticArticles(30, 25));
  testutil::Searchd sd(db, {"--quiet"});
  REQUIRE(sd.ok());
  const std::string target = "/feed?q=typhoon&limit=5";
  HttpReply first = Fetch(sd.port(), target);
  REQUIRE(first.status == 200);
  REQUIRE(!first.etag.empty());
  HttpReply again = Fetch(sd.port(), target, first.etag);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.etag == first.etag);
  CHECK(Fetch(sd.port(), target, "\"other\", W/" + first.etag).status == 304);
  CHECK(Fetch(sd.port(), target, "\"other\"").status == 200);
  CHECK(Fetch(sd.port(), "/feed?q=typhoon&limit=6", first.etag).status == 200);  // another request
  // An upsert commits a new article, dated after every other: the next
  // poll gets a new ETag and the article first.
  const std::string fresh = json{{"id", "fresh/1"},
                                 {"published", "2030-01-01"},
                                 {"title", {{"en", "Typhoon fresh report"}}},
                                 {"body", {{"en", "A typhoon made landfall, the fresh report said."}}}}
                                .dump();
  testutil::WriteFile(dir / "fresh.jsonl", fresh + "\n");
  tongwen::IngestOptions io;
  io.db_dir = db;
  io.threads = 1;
  tongwen::IngestReport rep;
  REQUIRE(tongwen::Upsert(io, {dir / "fresh.jsonl"}, &rep).ok());
  HttpReply changed;
  for (int i = 0; i < 200; ++i) {  // searchd sees the commit within its reopen interval
    changed = Fetch(sd.port(), target, first.etag);
    if (changed.status != 304) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(changed.status == 200);
  CHECK(changed.etag != first.etag);
  const size_t entry = changed.body.find("<entry>");
  REQUIRE(entry != std::string::npos);
  CHECK(changed.body.find("article/fresh%2F1</id>") < changed.body.find("</entry>"));
  CHECK(changed.body.find("<updated>2030-01-01T00:00:00Z</updated>") != std::string::npos);
  CHECK(AtomCheck(changed.body).rfind("ok: 5 entries", 0) == 0);
}

TEST_CASE("issue 25: GET /feed refuses what a feed cannot be", "[http][issue25]") {
  auto& s = Server();
  const int port = s.searchd->port();
  auto error = [&](const std::string& target, const std::string& parameter) {
    HttpReply r = Fetch(port, target);
    INFO(target << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(r.etag.empty());
    testutil::CheckErrorEnvelope(testutil::MakeReply(r.status, r.body), 400, parameter);
  };
  error("/feed?q=a&sort=relevance", "sort");
  error("/feed?q=a&offset=10", "offset");
  error("/feed?q=a&limit=101", "limit");
  error("/feed?q=a&limit=x", "limit");
  error("/feed?q=a&from=2024-02-30", "from");
  error("/feed?q=a&lang=fr", "lang");
  // All words must match: /search's relaxed (any-word) hits are no entries.
  HttpReply none = Fetch(port, "/feed?q=typhoon+zzzqqxnotaword");
  REQUIRE(none.status == 200);
  CHECK(AtomCheck(none.body).rfind("ok: 0 entries", 0) == 0);
  // No q: every article, newest first.
  HttpReply all = Fetch(port, "/feed?limit=3");
  REQUIRE(all.status == 200);
  CHECK(AtomCheck(all.body).rfind("ok: 3 entries", 0) == 0);
  CHECK(all.body.find("article/esc-1</id>") != std::string::npos);  // 2026-01-02, the newest
}
