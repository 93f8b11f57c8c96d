// Issue 28: the indexer's writers when a resource runs out (a full disk, the
// file size limit) and when another writer holds the database.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fs = std::filesystem;

namespace {

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string Indexer() { return testutil::BinPath("indexer"); }

std::string SamplePath() { return std::string(TONGWEN_SOURCE_DIR) + "/data/sample/articles.jsonl"; }

// `n` synthetic articles (about 2 KB each) in a file of `dir`.
std::string Articles(const testutil::TempDir& dir, size_t n, unsigned seed) {
  std::string text;
  for (const std::string& a : testutil::SyntheticArticles(n, seed)) text += a + "\n";
  const std::string path = dir / ("articles-" + std::to_string(seed) + ".jsonl");
  testutil::WriteFile(path, text);
  return path;
}

// A 5 MiB tmpfs on a fresh directory, unmounted on destruction; ok() is
// false where mounting is not allowed.
class SmallDisk {
 public:
  SmallDisk() { ok_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=5m") == 0; }
  ~SmallDisk() {
    if (ok_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  std::string path() const { return dir_.path(); }

 private:
  testutil::TempDir dir_;
  bool ok_ = false;
};

// Checks what a failed writer must leave: its FAILED summary naming
// `cause`, exit 1, the live database as it was (verified, same count) and
// no scratch directory.
void CheckFailedCleanly(int rc, const std::string& out, const std::string& db, const std::string& cause) {
  INFO(out);
  CHECK(rc == 1);
  CHECK(Has(out, "FAILED, nothing written:"));
  CHECK(Has(out, cause));
  CHECK_FALSE(Has(out, "terminate called"));
  CHECK_FALSE(Has(out, "DB_DANGEROUS"));
  std::string verify;
  CHECK(testutil::Run(Indexer() + " verify --db " + db, &verify) == 0);
  CHECK(Has(verify, "articles checked: 44, bad: 0"));
  for (const auto& e : fs::directory_iterator(db)) CHECK(e.path().filename().string().rfind("tmp-", 0) != 0);
}

}  // namespace

TEST_CASE("issue 28.5: on a full disk upsert and rebuild fail cleanly, naming ENOSPC",
          "[indexer][resources]") {
  SmallDisk disk;
  if (!disk.ok()) {
    WARN("skipped: cannot mount a tmpfs here (needs root); the ulimit -f test covers the write errors");
    return;
  }
  testutil::TempDir input;
  const std::string articles = Articles(input, 2500, 28);  // ~5 MB of input: more than the disk holds indexed
  const std::string db = disk.path() + "/db";
  std::string out;
  REQUIRE(testutil::Run(
              Indexer() + " rebuild --no-dictionary --progress none --db " + db + " " + SamplePath(), &out) ==
          0);
  for (int run = 0; run < 3; ++run) {
    for (const std::string cmd : {"upsert", "rebuild --allow-shrink"}) {
      const int rc = testutil::Run(
          Indexer() + " " + cmd + " --no-dictionary --progress none --db " + db + " " + articles, &out);
      INFO(cmd << ", run " << run);
      CheckFailedCleanly(rc, out, db, "No space left on device");
    }
  }
  // delete, with what space is left taken by another file.
  {
    std::ofstream filler(disk.path() + "/filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) && filler.flush()) {
    }
  }
  const int rc = testutil::Run(Indexer() + " delete --db " + db + " cna-2024-0723-gaemi-land-warning", &out);
  CheckFailedCleanly(rc, out, db, "No space left on device");
  // compact, which needs room for a compacted copy: it fails, and the live
  // generation stays as it was.
  std::string stats_before, stats_after;
  testutil::Run(Indexer() + " stats --db " + db, &stats_before);
  CHECK(testutil::Run(Indexer() + " compact --db " + db, &out) == 1);
  INFO(out);
  CHECK(Has(out, "compact failed: "));
  CHECK(Has(out, "No space left on device"));
  CHECK(Has(out, "the database is unchanged"));
  testutil::Run(Indexer() + " stats --db " + db, &stats_after);
  CHECK(stats_after == stats_before);
  std::string verify;
  CHECK(testutil::Run(Indexer() + " verify --db " + db, &verify) == 0);
  for (const auto& e : fs::directory_iterator(db)) CHECK(e.path().filename().string().rfind("tmp-", 0) != 0);
}

TEST_CASE("issue 28.5: past the file size limit (ulimit -f) upsert and rebuild fail cleanly, naming EFBIG",
          "[indexer][resources]") {
  testutil::TempDir dir;
  const std::string articles = Articles(dir, 1500, 29);
  const std::string db = dir / "db";
  std::string out;
  REQUIRE(testutil::Run(
              Indexer() + " rebuild --no-dictionary --progress none --db " + db + " " + SamplePath(), &out) ==
          0);
  for (const std::string cmd : {"upsert", "rebuild --allow-shrink"}) {
    // 1 MiB: the live database's files are smaller, the new ones grow past it.
    const int rc = testutil::Run("sh -c 'ulimit -f 1024; exec " + Indexer() + " " + cmd +
                                     " --no-dictionary --progress none --db " + db + " " + articles + "'",
                                 &out);
    INFO(cmd);
    CheckFailedCleanly(rc, out, db, "File too large");
  }
}

TEST_CASE("issue 28.6: upsert and delete --wait wait for the writer lock", "[indexer][resources]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  std::string out;
  REQUIRE(testutil::Run(
              Indexer() + " rebuild --no-dictionary --progress none --db " + db + " " + SamplePath(), &out) ==
          0);
  testutil::WriteFile(dir / "one.jsonl", R"({"id":"wait-1","title":{"en":"Lighthouse keeper waits"}})"
                                         "\n");
  // Another writer (this test) holds the lock.
  const int lock = ::open((db + "/.lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(lock >= 0);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  // Without --wait: at once, unchanged.
  CHECK(testutil::Run(
            Indexer() + " upsert --no-dictionary --progress none --db " + db + " " + (dir / "one.jsonl"),
            &out) == 1);
  CHECK(Has(out, "another indexer is writing"));
  // With a --wait that runs out: the same failure, saying how long it waited.
  CHECK(testutil::Run(Indexer() + " delete --db " + db + " wait-1 --wait 1", &out) == 1);
  CHECK(Has(out, "another indexer is writing to this database (waited 1 s)"));
  for (const std::string& cmd : std::vector<std::string>{
           "upsert --no-dictionary --progress none --db " + db + " " + (dir / "one.jsonl"),
           "delete --db " + db + " wait-1"}) {
    std::atomic<bool> done{false};
    int rc = -1;
    std::thread writer([&] {
      rc = testutil::Run(Indexer() + " " + cmd + " --wait 60", &out);
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK_FALSE(done.load());  // still waiting: the lock is held
    REQUIRE(::flock(lock, LOCK_UN) == 0);
    writer.join();
    INFO(cmd << ": " << out);
    CHECK(rc == 0);
    CHECK(Has(out, cmd.rfind("upsert", 0) == 0 ? "indexed 1" : "deleted 1"));
    REQUIRE(::flock(lock, LOCK_EX) == 0);
  }
  ::close(lock);
}

TEST_CASE("issue 28.7: compact after upserts: the same results, no larger, searches answered throughout",
          "[indexer][resources]") {
  testutil::TempDir dir;
  const std::string db = dir / "db";
  std::string out;
  REQUIRE(testutil::Run(
              Indexer() + " rebuild --no-dictionary --progress none --db " + db + " " + SamplePath(), &out) ==
          0);
  // Stats of a database this version compacted (rebuild) know the estimate.
  REQUIRE(testutil::Run(Indexer() + " stats --db " + db, &out) == 0);
  CHECK(Has(out, "compact would reclaim: about"));
  // A database an upsert created has not been compacted: no estimate yet.
  REQUIRE(testutil::Run(Indexer() + " upsert --no-dictionary --progress none --db " + (dir / "fresh") + " " +
                            SamplePath(),
                        &out) == 0);
  REQUIRE(testutil::Run(Indexer() + " stats --db " + (dir / "fresh"), &out) == 0);
  CHECK(Has(out, "compact would reclaim: unknown"));
  for (unsigned seed = 1; seed <= 4; ++seed)
    REQUIRE(testutil::Run(Indexer() + " upsert --no-dictionary --progress none --db " + db + " " +
                              Articles(dir, 150, seed),
                          &out) == 0);
  // Some articles replaced, too.
  REQUIRE(testutil::Run(Indexer() + " upsert --no-dictionary --progress none --db " + db + " " + SamplePath(),
                        &out) == 0);
  auto stats = [&](const std::string& key) {
    std::string s;
    testutil::Run(Indexer() + " stats --db " + db, &s);
    const size_t p = s.find(key);
    return p == std::string::npos ? std::string()
                                  : s.substr(p + key.size(), s.find('\n', p) - p - key.size());
  };
  const uint64_t size_before = std::stoull(stats("size: "));
  CHECK(stats("compact would reclaim: ").rfind("about ", 0) == 0);

  testutil::Searchd sd(db, {"--no-dictionary", "--quiet"});
  REQUIRE(sd.ok());
  const std::vector<std::string> queries = {"/search?q=typhoon&limit=20",
                                            "/search?q=government+budget&limit=20&facets=source,year",
                                            "/search?q=%E5%8F%B0%E5%8C%97&limit=20",
                                            "/search?q=%22local+council%22&limit=20",
                                            "/articles/syn-2-7",
                                            "/articles/cna-2024-0723-gaemi-land-warning/related?limit=10"};
  auto answers = [&] {
    std::vector<std::string> out;
    for (const std::string& q : queries) {
      std::string body;
      const int status = sd.Get(q, &body);
      auto j = nlohmann::json::parse(body, nullptr, false);
      if (j.is_object()) j.erase("took_ms");
      out.push_back(std::to_string(status) + " " + j.dump());
    }
    return out;
  };
  const std::vector<std::string> before = answers();
  for (const std::string& a : before) REQUIRE(a.rfind("200 ", 0) == 0);

  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, errors{0};
  std::thread searcher([&] {
    while (!stop.load()) {
      std::string body;
      (sd.Get("/search?q=typhoon&limit=20", &body) == 200 ? answered : errors)++;
    }
  });
  const int rc = testutil::Run(Indexer() + " compact --db " + db, &out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(Has(out, "compacted gen-2"));
  // searchd moves to the new generation within its reopen interval.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string st;
  while (std::chrono::steady_clock::now() < until && !Has(st, "\"gen-2\"")) {
    sd.Get("/stats", &st);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  searcher.join();
  CHECK(Has(st, "\"gen-2\""));
  CHECK(errors == 0);
  CHECK(answered > 0);

  CHECK(answers() == before);
  const uint64_t size_after = std::stoull(stats("size: "));
  INFO("size " << size_before << " -> " << size_after);
  CHECK(size_after <= size_before);
  std::string verify;
  CHECK(testutil::Run(Indexer() + " verify --db " + db, &verify) == 0);
}
