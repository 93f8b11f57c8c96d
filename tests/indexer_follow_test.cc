// `indexer upsert --follow`: a feed read from a pipe without end, committed
// as it goes, run as a real process (build/bin/indexer).
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.h"

#include "tongwen/engine.h"
#include "tongwen/index.h"

using testutil::DataPath;
using testutil::ReadFile;
using testutil::TempDir;
using testutil::WriteFile;

namespace {

std::string Q(const std::string& s) { return "'" + s + "'"; }

bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

void BuildFixture(const std::string& db) {
  tongwen::IngestOptions opt;
  opt.db_dir = db;
  opt.threads = 1;
  tongwen::IngestReport rep;
  REQUIRE(tongwen::Rebuild(opt, {DataPath("fixture.jsonl")}, &rep).ok());
}

// A feed run as a child process: stdin from `stdin_fd` (or /dev/null),
// stdout and stderr into files.
struct Child {
  pid_t pid = -1;
  std::string out, err;
};

Child Spawn(const TempDir& t, const std::vector<std::string>& args, int stdin_fd = -1) {
  Child c{-1, t / "out.txt", t / "err.txt"};
  std::vector<std::string> argv_s = {testutil::BinPath("indexer")};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  c.pid = fork();
  if (c.pid == 0) {
    int in = stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY);
    dup2(in, STDIN_FILENO);
    dup2(::open(c.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDOUT_FILENO);
    dup2(::open(c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return c;
}

// Waits for `pred`, up to two minutes (a bound against hanging, not a
// timing assertion); false if the child exited first or time ran out.
bool WaitFor(pid_t pid, const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ExitCode(pid_t pid) {
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    REQUIRE(n > 0);
    off += static_cast<size_t>(n);
  }
}

// Bytes written to the pipe that the reader has not read yet.
int Unread(int fd) {
  int n = 0;
  REQUIRE(ioctl(fd, FIONREAD, &n) == 0);
  return n;
}

std::vector<std::string> SearchIds(const std::string& db, const std::string& q) {
  tongwen::EngineOptions eo;
  eo.db_dir = db;
  auto e = tongwen::Engine::Open(eo);
  REQUIRE(e.ok());
  tongwen::SearchRequest req;
  req.q = q;
  req.cross = tongwen::SearchRequest::Cross::kOff;
  auto r = (*e)->Search(req);
  REQUIRE(r.ok());
  std::vector<std::string> ids;
  for (const auto& h : r->hits) ids.push_back(h.id);
  return ids;
}

uint64_t Documents(const std::string& db) { return tongwen::Stats(db).value().documents; }

std::string Article(const std::string& id, const std::string& title) {
  return "{\"id\":\"" + id + "\",\"title\":{\"en\":\"" + title + "\"}}\n";
}

std::vector<nlohmann::json> JsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path));
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(nlohmann::json::parse(l));
  return out;
}

}  // namespace

TEST_CASE("upsert --follow: articles fed line by line into a named pipe are searchable before its end",
          "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db", fifo = t / "feed";
  BuildFixture(db);
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  signal(SIGPIPE, SIG_IGN);
  Child c = Spawn(
      t, {"upsert", "--db", db, "--no-dictionary", "--progress=json", "--follow", "--commit-ms", "50", fifo});
  const int w = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // waits for the indexer to open it
  REQUIRE(w >= 0);
  WriteAll(w, Article("feed-1", "Pelicans return to the lagoon"));
  REQUIRE(WaitFor(c.pid, [&] { return SearchIds(db, "pelicans") == std::vector<std::string>{"feed-1"}; }));
  WriteAll(w, Article("feed-2", "Flamingos leave the marsh"));
  REQUIRE(WaitFor(c.pid, [&] { return SearchIds(db, "flamingos") == std::vector<std::string>{"feed-2"}; }));
  CHECK(kill(c.pid, 0) == 0);  // still running: the pipe is open
  // An id fed again replaces the article.
  WriteAll(w, Article("feed-1", "Herons return to the lagoon"));
  REQUIRE(WaitFor(c.pid, [&] { return SearchIds(db, "herons") == std::vector<std::string>{"feed-1"}; }));
  CHECK(SearchIds(db, "pelicans").empty());
  close(w);
  CHECK(ExitCode(c.pid) == 0);
  CHECK(Documents(db) == 12);
  auto lines = JsonLines(c.out);
  REQUIRE(lines.size() == 4);  // three commits and the summary
  for (int i = 0; i < 3; ++i) {
    CHECK(lines[i]["event"] == "commit");
    CHECK(lines[i]["commit"] == i + 1);
    CHECK(lines[i]["articles"] == 1);
    CHECK(lines[i]["indexed"] == i + 1);
  }
  CHECK(lines[2]["replaced"] == 1);
  CHECK(lines[3]["event"] == "summary");
  CHECK(lines[3]["ok"] == true);
  CHECK(lines[3]["indexed"] == 3);
  CHECK(lines[3]["replaced"] == 1);
}

TEST_CASE("upsert --follow commits every --commit-articles articles", "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  std::string feed;
  for (int i = 0; i < 7; ++i) feed += Article("batch-" + std::to_string(i), "Storks nest on the tower");
  WriteFile(t / "feed.jsonl", feed);
  // An hour between timed commits: only the count and the end commit.
  Child c = Spawn(t, {"upsert", "--db", db, "--no-dictionary", "--progress=json", "--follow",
                      "--commit-articles", "3", "--commit-ms", "3600000", t / "feed.jsonl"});
  CHECK(ExitCode(c.pid) == 0);
  auto lines = JsonLines(c.out);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["articles"] == 3);
  CHECK(lines[1]["articles"] == 3);
  CHECK(lines[2]["articles"] == 1);  // the end of the input commits the rest
  CHECK(lines[3]["indexed"] == 7);
  CHECK(Documents(db) == 17);
}

TEST_CASE("upsert --follow stopped by SIGTERM or SIGINT commits every line it read", "[cli][follow]") {
  for (int sig : {SIGTERM, SIGINT}) {
    INFO("signal " << sig);
    TempDir t;
    const std::string db = t / "db";
    BuildFixture(db);
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    signal(SIGPIPE, SIG_IGN);
    // Neither the count nor the time would commit before the stop.
    Child c = Spawn(t,
                    {"upsert", "--db", db, "--no-dictionary", "--progress=log", "--follow",
                     "--commit-articles", "1000", "--commit-ms", "3600000", "-"},
                    fds[0]);
    close(fds[0]);
    std::string feed = Article("sig-1", "Cranes over the river") + Article("sig-2", "Cranes over the bay") +
                       "not json\n" + Article("sig-3", "Cranes over the hills") + "{\"id\":\"sig-partial\"";
    WriteAll(fds[1], feed);
    // Once the pipe is empty the indexer holds every byte; the stop must not lose them.
    REQUIRE(WaitFor(c.pid, [&] { return Unread(fds[1]) == 0; }));
    CHECK(Documents(db) == 10);  // nothing committed yet
    kill(c.pid, sig);
    CHECK(ExitCode(c.pid) == 0);
    close(fds[1]);
    CHECK(Documents(db) == 13);
    CHECK(SearchIds(db, "cranes").size() == 3);
    const std::string err = ReadFile(c.err);
    CHECK(Has(err, "-:3: invalid JSON"));
    CHECK(Has(err, "-:5: incomplete line: no newline when the feed was stopped, not read"));
    CHECK(Has(err, "indexer: commit 1: 3 articles (replaced 0), 3 in all, rejected 1;"));
    CHECK(Has(ReadFile(c.out), "read 5, indexed 3 (replaced 0), deleted 0, rejected 2"));
  }
}

TEST_CASE("upsert --follow skips and reports bad lines as FILE:LINE: reason", "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  const std::string bad = DataPath("bad_lines.jsonl");
  Child c = Spawn(t, {"upsert", "--db", db, "--no-dictionary", "--progress=none", "--follow", bad});
  CHECK(ExitCode(c.pid) == 0);
  const std::string err = ReadFile(c.err);
  CHECK(Has(err, bad + ":2: invalid JSON"));
  CHECK(Has(err, bad + ":4: missing 'id'\n"));
  // As a plain upsert of the same file: the four good lines.
  CHECK(Has(ReadFile(c.out), "indexed 4 (replaced 0)"));
  CHECK(Documents(db) == 14);
  CHECK(SearchIds(db, "vineyards") == std::vector<std::string>{"bl-good-3"});
}

TEST_CASE("upsert --follow: usage errors exit 2 and touch nothing", "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  const std::string ix = Q(testutil::BinPath("indexer")) + " ";
  const std::string f = Q(DataPath("fixture.jsonl"));
  struct Case {
    std::string args, message;
  } cases[] = {
      {"rebuild --db " + Q(db) + " --follow " + f, "--follow is an option of upsert"},
      {"upsert --db " + Q(db) + " --commit-ms 5 " + f, "--commit-articles and --commit-ms need --follow"},
      {"upsert --db " + Q(db) + " --follow --max-errors 3 " + f, "--max-errors does not apply to --follow"},
      {"upsert --db " + Q(db) + " --follow " + f + " " + f, "upsert --follow reads one FILE"},
      {"upsert --db " + Q(db) + " --follow", "upsert --follow reads one FILE"},
      {"upsert --db " + Q(db) + " --follow --commit-articles 0 " + f, "--commit-articles needs an integer"},
      {"upsert --db " + Q(db) + " --follow --commit-ms x " + f, "--commit-ms needs milliseconds"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    std::string out;
    CHECK(testutil::Run(ix + c.args, &out) == 2);
    CHECK(Has(out, c.message));
  }
  CHECK(Documents(db) == 10);
}

TEST_CASE("upsert --follow: an unreadable feed, a .gz and a held lock fail with exit 1", "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  const std::string ix =
      Q(testutil::BinPath("indexer")) + " upsert --db " + Q(db) + " --no-dictionary --follow ";
  std::string out;
  CHECK(testutil::Run(ix + Q(t / "missing.jsonl"), &out) == 1);
  CHECK(Has(out, "missing.jsonl: No such file or directory"));
  // A directory opens but cannot be read: a read error, after the summary.
  CHECK(testutil::Run(ix + Q(t.path()), &out) == 1);
  CHECK(Has(out, ": read error at line 1: Is a directory"));
  CHECK(Has(out, "upsert --follow failed"));
  CHECK(testutil::Run(ix + Q(t / "feed.jsonl.gz"), &out) == 1);
  CHECK(Has(out, "a feed is plain JSONL, not .gz"));
  CHECK(Documents(db) == 10);

  // A feed holds the writer lock while it runs: a second one fails (at once,
  // or after --wait), naming the other writer.
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  signal(SIGPIPE, SIG_IGN);
  Child c = Spawn(
      t, {"upsert", "--db", db, "--no-dictionary", "--progress=json", "--follow", "--commit-ms", "10", "-"},
      fds[0]);
  close(fds[0]);
  WriteAll(fds[1], Article("lock-1", "Swallows arrive early"));
  REQUIRE(WaitFor(c.pid, [&] { return SearchIds(db, "swallows").size() == 1; }));
  CHECK(testutil::Run(ix + Q(DataPath("fixture.jsonl")), &out) == 1);
  CHECK(Has(out, "another indexer"));
  CHECK(testutil::Run(ix + "--wait 1 " + Q(DataPath("fixture.jsonl")), &out) == 1);
  CHECK(Has(out, "another indexer"));
  close(fds[1]);
  CHECK(ExitCode(c.pid) == 0);
  CHECK(Documents(db) == 11);
}

TEST_CASE("upsert --follow skips a line over the 8 MiB limit and reads on", "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  WriteFile(t / "feed.jsonl",
            std::string(9 << 20, 'x') + "\n" + Article("after-long", "Ospreys dive for fish"));
  Child c =
      Spawn(t, {"upsert", "--db", db, "--no-dictionary", "--progress=none", "--follow", t / "feed.jsonl"});
  CHECK(ExitCode(c.pid) == 0);
  CHECK(Has(ReadFile(c.err), t / "feed.jsonl" + ":1: line is longer than 8388608 bytes"));
  CHECK(Has(ReadFile(c.out), "read 2, indexed 1 (replaced 0), deleted 0, rejected 1"));
  CHECK(SearchIds(db, "ospreys") == std::vector<std::string>{"after-long"});
}

TEST_CASE("upsert --follow: a commit past the file size limit fails with exit 1; earlier commits stay",
          "[cli][follow]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  std::string feed;
  for (const std::string& a : testutil::SyntheticArticles(1500, 29)) feed += a + "\n";
  WriteFile(t / "feed.jsonl", feed);
  std::string out;
  // 1 MiB: the fixture's files are smaller; the feed's commits grow them past it.
  const int rc =
      testutil::Run("sh -c 'ulimit -f 1024; exec " + Q(testutil::BinPath("indexer")) + " upsert --db " +
                        Q(db) + " --no-dictionary --progress=json --follow --commit-articles 100 " +
                        Q(t / "feed.jsonl") + " 2>" + Q(t / "err.txt") + "'",
                    &out);
  CHECK(rc == 1);
  const std::string err = ReadFile(t / "err.txt");
  INFO(out << err);
  CHECK(Has(err, "indexer: upsert --follow failed: "));
  CHECK(Has(err, "File too large"));
  std::istringstream lines(out);
  std::string l, last;
  while (std::getline(lines, l))
    if (!l.empty()) last = l;
  const nlohmann::json summary = nlohmann::json::parse(last);
  CHECK(summary["event"] == "summary");
  CHECK(summary["ok"] == false);
  CHECK(summary["not_written"].get<uint64_t>() > 0);
  // What the earlier commits wrote is there, and the database is sound.
  CHECK(Documents(db) == 10 + summary["indexed"].get<uint64_t>());
  std::string report;
  CHECK(tongwen::Verify(db, &report).ok());
}
