#include "test_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "tongwen/index.h"

namespace fs = std::filesystem;

namespace testutil {

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "tongwen-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string DataPath(const std::string& name) { return std::string(TONGWEN_TEST_DATA) + "/" + name; }
std::string BinPath(const std::string& name) { return std::string(TONGWEN_BIN_DIR) + "/" + name; }

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const tongwen::Lexicon& MiniLexicon() {
  static std::unique_ptr<tongwen::Lexicon> lex = [] {
    auto r = tongwen::Lexicon::Load(DataPath("mini_cedict.u8"));
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
    return std::move(r).value();
  }();
  return *lex;
}

const tongwen::Lexicon* FullLexicon() {
  static std::unique_ptr<tongwen::Lexicon> lex = []() -> std::unique_ptr<tongwen::Lexicon> {
    std::string p = std::string(TONGWEN_BIN_DIR) + "/../share/tongwen/cedict.lex";
    auto r = tongwen::Lexicon::Open(p);
    if (!r.ok()) return nullptr;
    return std::move(r).value();
  }();
  return lex.get();
}

int Run(const std::string& cmd, std::string* output) {
  std::string full = cmd + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (output) *output = out;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

Searchd::Searchd(const std::string& db, const std::vector<std::string>& extra, unsigned long nofile) {
  log_path_ = db + ".searchd.log";
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    FILE* log = std::fopen(log_path_.c_str(), "w");
    if (log) dup2(fileno(log), STDERR_FILENO);
    close(out_pipe[0]);
    if (nofile) {
      const rlimit l{nofile, nofile};
      if (setrlimit(RLIMIT_NOFILE, &l) != 0) _exit(126);
    }
    std::vector<std::string> args = {BinPath("searchd"), "--db",      db, "--listen",
                                     "127.0.0.1:0",      "--threads", "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  // The first stdout line names the port: "searchd: listening on http://HOST:PORT ...".
  std::string line;
  char c;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
  close(out_pipe[0]);
  const size_t url = line.find("http://");
  if (url != std::string::npos) {
    const std::string hostport = line.substr(url + 7, line.find(' ', url) - url - 7);
    port_ = std::atoi(hostport.c_str() + hostport.rfind(':') + 1);
  }
}

Searchd::~Searchd() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int st;
    waitpid(pid_, &st, 0);
  }
}

int Searchd::Get(const std::string& path, std::string* body) const {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_read_timeout(30, 0);
  auto res = cli.Get(path.c_str());
  if (!res) return -1;
  if (body) *body = res->body;
  return res->status;
}

std::vector<std::string> SyntheticArticles(size_t n, unsigned seed) {
  static const char* const kWords[] = {
      "government", "minister", "announced", "election", "economy",   "growth", "typhoon", "Taipei",
      "policy",     "report",   "percent",   "market",   "companies", "export", "said",    "year",
      "local",      "council",  "budget",    "housing",  "students",  "the",    "of",      "and",
      "台北",       "政府",     "经济",      "选举",     "台风",      "市场",   "报道",    "表示"};
  static const char* const kSources[] = {"Liberty Times", "Central News Agency", "Taipei Times"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string title, body;
    for (int w = 0; w < 8; ++w) title += std::string(kWords[rng() % std::size(kWords)]) + " ";
    for (int w = 0; w < 260; ++w) body += std::string(kWords[rng() % std::size(kWords)]) + " ";
    nlohmann::ordered_json j = {{"id", "syn-" + std::to_string(seed) + "-" + std::to_string(i)},
                                {"published", "2024-05-" + std::to_string(10 + i % 18)},
                                {"source", kSources[i % std::size(kSources)]},
                                {"title", {{"en", title}}},
                                {"body", {{"en", body}}}};
    out.push_back(j.dump());
  }
  return out;
}

std::string RebuildFrom(const TempDir& dir, const std::vector<std::string>& articles) {
  std::string lines;
  for (const std::string& a : articles) lines += a + "\n";
  WriteFile(dir / "articles.jsonl", lines);
  tongwen::IngestOptions io;
  io.db_dir = dir / "db";
  io.threads = 1;
  tongwen::IngestReport report;
  const tongwen::Status s = tongwen::Rebuild(io, {dir / "articles.jsonl"}, &report);
  if (!s.ok()) throw std::runtime_error("rebuild failed: " + s.ToString());
  return io.db_dir;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Reply MakeReply(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.j = nlohmann::json::parse(r.body, nullptr, false);
  return r;
}

nlohmann::json CheckErrorEnvelope(const Reply& r, int status, const std::string& parameter) {
  INFO("body: " << r.body);
  CHECK(r.status == status);
  REQUIRE(r.j.is_object());
  REQUIRE(r.j.contains("error"));
  const nlohmann::json& e = r.j["error"];
  REQUIRE(e.is_object());
  CHECK(e.value("code", "") != "");
  CHECK(e.value("message", "") != "");
  if (!parameter.empty()) CHECK(e.value("parameter", "") == parameter);
  return e;
}

std::string WithoutMarks(std::string snippet) {
  for (const std::string tag : {"<mark>", "</mark>"})
    for (size_t p; (p = snippet.find(tag)) != std::string::npos;) snippet.erase(p, tag.size());
  return snippet;
}

const std::vector<std::string>& TrickyUtf8Pieces() {
  static const std::vector<std::string> pieces = {
      "a",
      "Z",
      "9",
      " ",
      "'",
      ".",
      ",",
      "-",
      "\xE2\x80\x99",
      "s",
      "U.S.",
      "1,000",
      "3.5",
      "Tsai's",
      "國",
      "防",
      "預",
      "算",
      "台",
      "積",
      "電",
      "积",
      "柯",
      "文",
      "哲",
      "說",
      "の",
      "テ",
      "한",
      "㐀",
      "ＵＳＢ",
      "（",
      "）",
      "，",
      "。",
      "「",
      "」",
      "\xE3\x80\x80",
      "\xCC\x81",
      "\xCC\xB2",
      "\xE0\xA4\xBF",
      "\xF0\x9F\x8D\x9C",
      "\xF0\x9F\x87\xB9\xF0\x9F\x87\xBC",
      "\xEF\xAC\x81",
      "\xC3\x9F",
      "\xC4\xB0",
      "\xE3\x8D\xBB",
      "\xE3\x8B\x80",
      "\xEF\xB7\xBA",
      "\xE2\x80\x8B",
      "\xC2\xAD",
      "\xFF",
      "\xC3",
      "\xE5\x9C",
      "\xED\xA0\x80",
      "\xF4\x90\x80\x80",
      std::string(1, '\0'),
      "\t",
      "\n",
      // Words that EnglishFilters::StripPossessive joins or cuts, and their
      // non-ASCII forms (TokenPrefilter's lookahead).
      "o'neill",
      "O\xE2\x80\x99Neill",
      "people\xE2\x80\x99s",
      "caf\xC3\xA9",
      "e\xCC\x81"
      "cole",
      "co\xC2\xADop",
      "\xEF\xBC\x91\xEF\xBC\x8C\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90",
      "\xF0\x9D\x90\x80",
      "\xF0\xA0\x80\x80",
      "\xEF\xA4\x80",
      "\xE2\x85\xAB",
      "\xC2\xB2",
      "\xC2\xA0",
      "\xE2\x80\xA6",
  };
  return pieces;
}

}  // namespace testutil
