// Shared helpers for the test suite.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tongwen/lexicon.h"

namespace testutil {

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string DataPath(const std::string& name);  // tests/data/<name>
std::string BinPath(const std::string& name);   // build/bin/<name>
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// The small CC-CEDICT fixture (tests/data/mini_cedict.u8), compiled once.
const tongwen::Lexicon& MiniLexicon();
// The full dictionary fetched by scripts/fetch-cedict into build/share, or
// null if it is not there.
const tongwen::Lexicon* FullLexicon();

// Runs a command, returns its exit status; stdout+stderr into *output.
int Run(const std::string& cmd, std::string* output);

// A searchd child process on a free port; killed on destruction. With
// `nofile`, it runs under that open-file limit (soft and hard, as `ulimit -n`
// sets them).
class Searchd {
 public:
  explicit Searchd(const std::string& db, const std::vector<std::string>& extra_args = {},
                   unsigned long nofile = 0);
  ~Searchd();
  int port() const { return port_; }
  int pid() const { return pid_; }
  bool ok() const { return port_ > 0; }
  // GET path (with query); returns status, body in *body.
  int Get(const std::string& path_and_query, std::string* body) const;
  const std::string& log() const { return log_path_; }

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

std::string UrlEncode(const std::string& s);

// Pieces of text for property tests of analysis: ASCII words and joiners,
// CJK (Traditional and Simplified, kana, Hangul, Extension A), full-width
// forms, combining marks, emoji, expansions (ﬁ ß ㍻ ㋀ ﷺ), ignorables,
// invalid bytes and NUL.
const std::vector<std::string>& TrickyUtf8Pieces();

// `n` English article JSON objects (one line each, no newline) of about 2 KB,
// as a news archive has them: the same keys and sources, text drawn from a
// small shared vocabulary (a few Chinese words among it), ids
// "syn-<seed>-<i>". Deterministic for a seed.
std::vector<std::string> SyntheticArticles(size_t n, unsigned seed);

// Rebuilds a database `dir`/db, with one thread, from these article JSON
// lines (written to `dir`/articles.jsonl); returns its directory. Throws if
// the rebuild fails.
std::string RebuildFrom(const TempDir& dir, const std::vector<std::string>& articles);

// A snippet with its <mark> and </mark> tags taken out.
std::string WithoutMarks(std::string snippet);

// An HTTP reply: status, body, and the body parsed as JSON (discarded if it
// is not JSON).
struct Reply {
  int status = -1;
  std::string body;
  nlohmann::json j;
};
// Parses `body` into a Reply.
Reply MakeReply(int status, std::string body);

// Checks searchd's error envelope {"error": {"code", "message",
// ["parameter"]}} with this status (and parameter, if given); returns the
// "error" object for further checks.
nlohmann::json CheckErrorEnvelope(const Reply& r, int status, const std::string& parameter = "");

}  // namespace testutil
