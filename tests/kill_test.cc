// Crash safety of the writer: `indexer` killed with SIGKILL at different
// moments of a rebuild/upsert, and a second writer while one holds the lock.
// Runs the real build/bin/indexer as a child process.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.h"

#include "tongwen/engine.h"
#include "tongwen/index.h"

namespace fs = std::filesystem;
using nlohmann::json;
using testutil::DataPath;
using testutil::ReadFile;
using testutil::TempDir;
using testutil::WriteFile;

namespace {

constexpr int kSynthetic = 8000;

// A larger input: kSynthetic short bilingual articles with ids syn-0.. .
const std::string& SyntheticInput() {
  static TempDir dir;
  static std::string path = [] {
    std::mt19937 rng(12345);
    const std::vector<std::string> words = {"market", "river",  "council", "budget", "harbour", "railway",
                                            "school", "farmer", "energy",  "storm",  "museum",  "bridge"};
    const std::u32string han = U"台北高雄港口铁路学校农民能源风暴博物馆桥梁预算议会市场河流";
    std::string out;
    for (int i = 0; i < kSynthetic; ++i) {
      std::string en, zh;
      for (int w = 0; w < 25; ++w) en += words[rng() % words.size()] + std::to_string(rng() % 500) + " ";
      for (int c = 0; c < 50; ++c) {
        char32_t cp = han[rng() % han.size()];
        zh += static_cast<char>(0xE0 | (cp >> 12));
        zh += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        zh += static_cast<char>(0x80 | (cp & 0x3F));
      }
      json j = {{"id", "syn-" + std::to_string(i)},
                {"source", "Synthetic Wire"},
                {"published", "2020-02-" + std::string(i % 28 < 9 ? "0" : "") + std::to_string(1 + i % 28)},
                {"title", {{"en", "Synthetic report " + std::to_string(i)}}},
                {"body", {{"en", en}, {"zh-Hans", zh}}}};
      out += j.dump() + "\n";
    }
    std::string p = dir / "synthetic.jsonl";
    WriteFile(p, out);
    return p;
  }();
  return path;
}

// fork/exec of build/bin/indexer; stdin from `stdin_fd` (or /dev/null),
// stdout and stderr into `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log, int stdin_fd = -1) {
  std::vector<std::string> argv_s = {testutil::BinPath("indexer")};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int in = stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY);
    dup2(in, STDIN_FILENO);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Waits until `pred` holds or the child exits; returns true if pred held.
bool WaitUntil(pid_t pid, const std::function<bool()>& pred, int* exit_status, bool* exited) {
  *exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    if (waitpid(pid, exit_status, WNOHANG) == pid) {
      *exited = true;
      return pred();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return false;
}

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
  return out;
}

std::vector<std::string> Tmps(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& n : Entries(dir))
    if (n.rfind("tmp-", 0) == 0) out.push_back(n);
  return out;
}

int GenNumber(const std::string& name) { return std::atoi(name.c_str() + 4); }

void BuildFixture(const std::string& db) {
  tongwen::IngestOptions opt;
  opt.db_dir = db;
  opt.threads = 2;
  tongwen::IngestReport rep;
  REQUIRE(tongwen::Rebuild(opt, {DataPath("fixture.jsonl")}, &rep).ok());
  REQUIRE(rep.indexed == 10);
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

// The database must be exactly the fixture (the old generation): opens,
// searches, has the old count, nothing of the interrupted input.
void CheckIsFixture(const std::string& db) {
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->documents == 10);
  CHECK(st->first_date == "2019-05-20");
  CHECK(SearchIds(db, "ferry") == std::vector<std::string>{"fx-en-003"});
  CHECK(SearchIds(db, "凤梨酥") == std::vector<std::string>{"fx-tw-001"});
  tongwen::EngineOptions eo;
  eo.db_dir = db;
  auto e = tongwen::Engine::Open(eo);
  REQUIRE(e.ok());
  CHECK((*e)->GetArticle("syn-0").status().code() == tongwen::Code::kNotFound);
  std::string report;
  CHECK(tongwen::Verify(db, &report).ok());
}

std::string Q(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("indexer rebuild killed with SIGKILL leaves the old database serving", "[kill]") {
  REQUIRE(fs::exists(testutil::BinPath("indexer")));
  const std::string& input = SyntheticInput();
  int interrupted = 0;  // runs that were really cut off mid-build
  struct Moment {
    const char* name;
    int sleep_ms;         // < 0: wait until `appears` exists
    const char* appears;  // relative to the db dir
  };
  for (const Moment m : {Moment{"after 50 ms", 50, ""}, Moment{"after 300 ms", 300, ""},
                         Moment{"after 1 s", 1000, ""}, Moment{"during compaction", -1, "/tmp-2/compact"},
                         // compacted and renamed into place, stub not yet swapped (or just swapped)
                         Moment{"when gen-2 appears", -1, "/gen-2"}}) {
    INFO("kill " << m.name);
    TempDir t;
    const std::string db = t / "db";
    BuildFixture(db);
    pid_t pid = Spawn({"rebuild", "--db", db, "--no-dictionary", "--progress=none", "--threads", "2", input},
                      t / "indexer.log");
    REQUIRE(pid > 0);
    int status = 0;
    bool exited = false;
    if (m.sleep_ms >= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(m.sleep_ms));
    } else {
      const std::string target = db + m.appears;
      WaitUntil(
          pid, [&] { return fs::exists(target); }, &status, &exited);
    }
    if (!exited) {
      kill(pid, SIGKILL);
      REQUIRE(waitpid(pid, &status, 0) == pid);
    }
    const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    const std::vector<std::string> leftovers = Tmps(db);
    if (killed && !leftovers.empty()) ++interrupted;

    // Readers see either the old database or the complete new one, never a
    // partial one; unless the stub was swapped, it is the old one.
    auto live = tongwen::LiveGeneration(db);
    REQUIRE(live.ok());
    if (*live == db + "/gen-1") {
      CheckIsFixture(db);
    } else {
      INFO("the child finished the swap before it was killed: " << ReadFile(t / "indexer.log"));
      CHECK(*live == db + "/gen-2");
      auto st = tongwen::Stats(db);
      REQUIRE(st.ok());
      CHECK(st->documents == kSynthetic);
    }
    const int live_before = GenNumber(fs::path(*live).filename().string());

    // The next rebuild takes the lock, removes the leftovers and succeeds.
    std::string out;
    int rc = testutil::Run(Q(testutil::BinPath("indexer")) + " rebuild --db " + Q(db) +
                               " --no-dictionary --progress=none " + Q(DataPath("fixture.jsonl")),
                           &out);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK(Tmps(db).empty());
    for (const std::string& n : Entries(db)) {
      if (n.rfind("gen-", 0) != 0) continue;
      // Only the new live generation and the one before it.
      CHECK((GenNumber(n) == live_before + 1 || GenNumber(n) == live_before));
    }
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    CHECK(st->generation == "gen-" + std::to_string(live_before + 1));
    CheckIsFixture(db);
  }
  CHECK(interrupted >= 1);  // otherwise nothing was tested
}

TEST_CASE("indexer rebuild killed while reading stdin: deterministic mid-build crash", "[kill]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);  // the child gets only its dup2'ed stdin
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = Spawn({"rebuild", "--db", db, "--no-dictionary", "--progress=none", "--memory", "64", "-"},
                    t / "indexer.log", fds[0]);
  close(fds[0]);
  // Feed part of the input (more than one commit's worth at --memory 64) and
  // keep the pipe open: the indexer is mid-build, holding its tmp dir.
  const std::string content = ReadFile(SyntheticInput());
  size_t cut = 0;
  for (int i = 0; i < 3000; ++i) cut = content.find('\n', cut) + 1;
  size_t off = 0;
  while (off < cut) {
    ssize_t n = write(fds[1], content.data() + off, cut - off);
    REQUIRE(n > 0);
    off += static_cast<size_t>(n);
  }
  int status = 0;
  bool exited = false;
  REQUIRE(WaitUntil(
      pid, [&] { return !Tmps(db).empty(); }, &status, &exited));
  REQUIRE_FALSE(exited);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(pid, SIGKILL);
  REQUIRE(waitpid(pid, &status, 0) == pid);
  close(fds[1]);
  CHECK(WIFSIGNALED(status));
  CHECK(Tmps(db) == std::vector<std::string>{"tmp-2"});
  CHECK(tongwen::LiveGeneration(db).value() == db + "/gen-1");
  CheckIsFixture(db);

  // An upsert also cleans up after the crashed rebuild.
  WriteFile(t / "one.jsonl",
            "{\"id\":\"after-crash\",\"title\":{\"en\":\"Pelicans return to the lagoon\"}}\n");
  std::string out;
  REQUIRE(testutil::Run(Q(testutil::BinPath("indexer")) + " upsert --db " + Q(db) +
                            " --no-dictionary --progress=none " + Q(t / "one.jsonl"),
                        &out) == 0);
  CHECK(Entries(db) == std::set<std::string>{".lock", "XAPIANDB", "gen-1"});
  CHECK(SearchIds(db, "pelicans") == std::vector<std::string>{"after-crash"});
}

TEST_CASE("indexer upsert killed mid-transaction leaves no partial batch", "[kill]") {
  const std::string& input = SyntheticInput();
  for (int ms : {150, 600}) {
    INFO("kill after " << ms << " ms");
    TempDir t;
    const std::string db = t / "db";
    BuildFixture(db);
    pid_t pid = Spawn({"upsert", "--db", db, "--no-dictionary", "--progress=none", "--threads", "2", input},
                      t / "indexer.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    auto st = tongwen::Stats(db);
    REQUIRE(st.ok());
    if (WIFSIGNALED(status)) {
      // All or nothing: the transaction was never committed.
      CheckIsFixture(db);
    } else {
      CHECK(st->documents == 10 + kSynthetic);
    }
    // The database still accepts writes.
    std::string out;
    REQUIRE(testutil::Run(Q(testutil::BinPath("indexer")) + " delete --db " + Q(db) + " fx-en-003", &out) ==
            0);
    CHECK(tongwen::Stats(db)->documents == st->documents - 1);
  }
}

TEST_CASE("A second writer fails with 'another indexer' while a rebuild holds the lock", "[kill][lock]") {
  TempDir t;
  const std::string db = t / "db";
  BuildFixture(db);
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);  // the child gets only its dup2'ed stdin
  signal(SIGPIPE, SIG_IGN);
  // The rebuild reads stdin: it holds the lock until we close the pipe.
  pid_t pid =
      Spawn({"rebuild", "--db", db, "--no-dictionary", "--progress=none", "-"}, t / "rebuild.log", fds[0]);
  close(fds[0]);
  const std::string first = ReadFile(DataPath("fixture.jsonl"));
  REQUIRE(write(fds[1], first.data(), first.size()) == static_cast<ssize_t>(first.size()));
  int status = 0;
  bool exited = false;
  REQUIRE(WaitUntil(
      pid, [&] { return !Tmps(db).empty(); }, &status, &exited));
  REQUIRE_FALSE(exited);

  WriteFile(t / "up.jsonl", "{\"id\":\"second-writer\",\"title\":{\"en\":\"Should not be written\"}}\n");
  const std::string indexer = Q(testutil::BinPath("indexer"));
  std::string out;
  int rc = testutil::Run(
      indexer + " upsert --db " + Q(db) + " --no-dictionary --progress=none " + Q(t / "up.jsonl"), &out);
  CHECK(rc == 1);
  CHECK(out.find("another indexer") != std::string::npos);
  rc = testutil::Run(indexer + " delete --db " + Q(db) + " fx-en-003", &out);
  CHECK(rc == 1);
  CHECK(out.find("another indexer") != std::string::npos);
  rc = testutil::Run(
      indexer + " rebuild --db " + Q(db) + " --no-dictionary --progress=none " + Q(t / "up.jsonl"), &out);
  CHECK(rc == 1);
  CHECK(out.find("another indexer") != std::string::npos);

  tongwen::IngestOptions opt;
  opt.db_dir = db;
  tongwen::IngestReport rep;
  tongwen::Status s = tongwen::Upsert(opt, {t / "up.jsonl"}, &rep);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == tongwen::Code::kUnavailable);
  CHECK(s.message().find("another indexer") != std::string::npos);

  // The failed writers changed nothing; readers still see the fixture.
  CheckIsFixture(db);
  CHECK(Tmps(db) == std::vector<std::string>{"tmp-2"});  // the running rebuild's, untouched

  // Finish the rebuild: it completes normally with what it read.
  const std::string more = "{\"id\":\"late-line\",\"title\":{\"en\":\"Flamingos sighted upstream\"}}\n";
  REQUIRE(write(fds[1], more.data(), more.size()) == static_cast<ssize_t>(more.size()));
  close(fds[1]);
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO(ReadFile(t / "rebuild.log"));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto st = tongwen::Stats(db);
  REQUIRE(st.ok());
  CHECK(st->generation == "gen-2");
  CHECK(st->documents == 11);
  CHECK(SearchIds(db, "flamingos") == std::vector<std::string>{"late-line"});
  CHECK(SearchIds(db, "written").empty());

  // Now the lock is free.
  rc = testutil::Run(
      indexer + " upsert --db " + Q(db) + " --no-dictionary --progress=none " + Q(t / "up.jsonl"), &out);
  CHECK(rc == 0);
  CHECK(tongwen::Stats(db)->documents == 12);
}
