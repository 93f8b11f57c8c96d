// Writing a Tongwen database: rebuild, upsert, delete, stats, verify.
//
// On-disk layout of a database directory DIR:
//   DIR/XAPIANDB       Xapian stub file naming the live generation ("auto gen-N")
//   DIR/gen-N/         the live glass database (compacted)
//   DIR/gen-M/         the previous generation (M < N), kept so readers that
//                      still have it open can finish; removed by the next run
//   DIR/tmp-*          leftovers of an interrupted run; removed by the next run
//   DIR/.lock          flock()ed by every writer: one writer at a time
// `rebuild` builds gen-(N+1) completely, then renames a new stub over
// DIR/XAPIANDB: rename(2) is atomic, so a reader sees the old or the new
// database, never a half-built one. Readers open DIR itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tongwen/article.h"
#include "tongwen/index_stats.h"
#include "tongwen/status.h"

namespace tongwen {

class Lexicon;

struct Progress {
  uint64_t bytes_done = 0, bytes_total = 0;  // bytes_total 0 = unknown (stdin)
  uint64_t read = 0, indexed = 0, rejected = 0;
  double seconds = 0;
  bool final = false;
  // "indexing" while lines are read; then rebuild reports "merging" once,
  // before it merges its shards, and
  // upsert "committing", before the transaction's commit; the final report
  // (final = true) says "done". Its seconds cover the whole run.
  const char* phase = "indexing";
};

struct IngestOptions {
  std::string db_dir;
  uint64_t max_errors = UINT64_MAX;  // more bad lines than this fails the run
  unsigned threads = 0;              // analysis threads; 0 = hardware concurrency
  uint64_t memory_mb = 256;          // indexing memory cap (rebuild: see CommitDocsPerWorker)
  // rebuild: documents per shard (each worker fills shards of this size,
  // merged at the end); 0 = derived from memory_mb. Tests set it small.
  uint64_t shard_docs = 0;
  // rebuild: the stored articles are compressed with a zstd dictionary
  // trained on the articles of the first this many bytes of input, which
  // are held back until it is trained. Under 1 MB of articles (or 0): no
  // dictionary.
  uint64_t dictionary_sample_bytes = 8 << 20;
  // rebuild (and an upsert into a database that has none yet): the
  // reference length the wdfs are normalised with (schema/weighting.h) is the
  // mean length of the first this many articles, measured before any
  // document is built; all of them if the input has fewer.
  size_t length_sample_articles = 500;
  const Lexicon* lexicon = nullptr;  // optional, improves Chinese segmentation
  // rebuild: replace the live database even if the new one would hold
  // fewer than kMinRebuildShare of its articles (see Rebuild).
  bool allow_shrink = false;
  // Every writer: how long to wait for another writer (a rebuild, say) to
  // release the database before failing; 0 = fail at once.
  double lock_wait_seconds = 0;
  IngestLimits limits;
  // Called for each rejected line: "FILE:LINE: reason".
  std::function<void(const std::string&)> on_error;
  // Called about every 0.5 s and once at the end.
  std::function<void(const Progress&)> on_progress;
};

struct IngestReport {
  uint64_t read = 0;      // lines read (blank lines excluded)
  uint64_t indexed = 0;   // articles written (new or replaced)
  uint64_t replaced = 0;  // of those, ids that existed before (or earlier in the input)
  uint64_t deleted = 0;
  uint64_t not_found = 0;  // delete: ids that did not exist
  uint64_t rejected = 0;   // bad lines, skipped
  uint64_t truncated = 0;  // articles with a field cut at limits.max_field_bytes
  uint64_t bytes = 0;
  double seconds = 0;
  std::map<std::string, uint64_t> reasons;  // rejection reason -> count
  // A failed run (rebuild/upsert) writes nothing: `failure` says why,
  // `indexed` and `replaced` are 0 and `not_written` counts the good
  // articles it had read.
  std::string failure;
  uint64_t not_written = 0;
  bool failed() const { return !failure.empty(); }
  // "read R, indexed I (replaced P), ..."; a failed run's line starts with
  // "FAILED, nothing written: " and ends with the reason.
  std::string SummaryLine() const;
};

// A rebuild refuses to replace a live database of N articles with one of
// fewer than N * kMinRebuildShare articles (so also a non-empty one with an
// empty one: an empty file, every line rejected, a failed pipe), unless
// IngestOptions::allow_shrink is set.
inline constexpr double kMinRebuildShare = 0.5;

// Builds a new database from `inputs` (paths, "-" = stdin, *.gz) and swaps it
// in atomically. On failure (too many bad lines, an input that cannot be
// read to its end, such as a truncated .gz, or a new database that would
// lose more than the share kMinRebuildShare allows) DIR is untouched.
// `report` is filled in either case.
Status Rebuild(const IngestOptions& opt, const std::vector<std::string>& inputs, IngestReport* report);
// Adds or replaces articles by id, as one transaction: all or nothing (a
// read error in any input writes nothing).
Status Upsert(const IngestOptions& opt, const std::vector<std::string>& inputs, IngestReport* report);
// Deletes articles by id, as one transaction.
Status Delete(const IngestOptions& opt, const std::vector<std::string>& ids, IngestReport* report);

// A feed of new articles (`indexer upsert --follow`): reads JSONL from one
// input without end and commits as it goes.
struct FollowOptions {
  // A commit whenever this many articles wait, or the first of them has
  // waited this long.
  uint64_t commit_articles = 200;
  uint64_t commit_ms = 1000;
  // Set (from a signal handler, say) to stop: the complete lines already
  // read are indexed and committed, and Follow returns OK.
  const std::atomic<bool>* stop = nullptr;
};

struct CommitReport {
  uint64_t commit = 0;    // 1, 2, ...
  uint64_t articles = 0;  // written by this commit
  uint64_t replaced = 0;  // of those, ids that existed before
  uint64_t indexed = 0;   // written by every commit so far
  uint64_t rejected = 0;  // bad lines so far
  double commit_ms = 0;   // building the documents and Xapian's commit
  double waited_ms = 0;   // since the commit's first article was read
  double seconds = 0;     // since the run began
};

// Reads JSONL from `input` (a file, a named pipe or "-"; not .gz) until its
// end or *fo.stop, and adds or replaces articles by id in commits of
// fo.commit_articles articles or fo.commit_ms milliseconds, whichever comes
// first, calling `on_commit` after each. Bad lines are reported through
// opt.on_error and skipped (opt.max_errors does not apply). Holds the
// writer lock for the whole run (waiting up to opt.lock_wait_seconds for
// it). Analyses on the calling thread. A failed commit stops the run: what
// earlier commits wrote stays, `report->not_written` counts the articles of
// the failed one and `report->failure` is left empty.
Status Follow(const IngestOptions& opt, const FollowOptions& fo, const std::string& input,
              const std::function<void(const CommitReport&)>& on_commit, IngestReport* report);

struct CompactReport {
  uint64_t size_before = 0, size_after = 0;  // of the live generation
  std::string generation;                    // the new one, e.g. "gen-4"
  double seconds = 0;
};
// Online compaction: writes the live generation compacted (Xapian's
// compact, no re-analysis) as a new generation and swaps it in as a rebuild
// does, so readers go on searching throughout. Upserts leave a generation
// with partly filled blocks and free space; this gives them back. Takes the
// writer lock (waiting up to opt.lock_wait_seconds); needs free disk for
// the compacted copy. On failure the live database is untouched and the
// scratch directory removed.
Status Compact(const IngestOptions& opt, CompactReport* report);

// Runs Xapian::Database::check on the live generation and re-parses every
// stored article. `report` receives a human-readable account.
Status Verify(const std::string& db_dir, std::string* report);

// A writer's last resort (issue 28): Xapian 1.4 can throw a second exception
// from a destructor while a failed commit unwinds (seen in upsert's
// commit_transaction on a full disk), and the process then terminates. For
// a std::terminate handler: the failure that exception `e` stands for, as
// a Status (its cause probed in db_dir when the error names none).
Status WriteFailureOf(std::exception_ptr e, const std::string& db_dir);

// Path of the live generation inside db_dir (resolving the stub).
Result<std::string> LiveGeneration(const std::string& db_dir);

}  // namespace tongwen
