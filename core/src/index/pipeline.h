// The indexer's read-analyse-write pipeline (rebuild and upsert): reads the
// input files on one thread, parses and analyses their lines on worker
// threads, and hands batches of documents to the caller in input order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include "index/document_builder.h"
#include "index/near_duplicates.h"
#include "store/stored_article.h"
#include "util/line_reader.h"

#include "tongwen/analysis.h"
#include "tongwen/index.h"
#include "tongwen/status.h"

namespace tongwen::ingest {

struct Line {
  uint32_t file;
  uint64_t line_no;
  std::string text;
  bool too_long;
};

struct Item {
  std::optional<Xapian::Document> doc;
  std::string id;
  std::string error;     // non-empty: rejected with this reason
  std::string location;  // FILE:LINE
  bool truncated = false;
};

constexpr size_t kBatchLines = 256;

struct Batch {
  uint64_t seq = 0;
  std::vector<Line> lines;
  std::vector<Item> items;
  uint64_t bytes = 0;
};

// Reads `inputs`, parses and analyses lines on worker threads, and hands
// batches to `write` on the calling thread, in input order. If set,
// `on_worker_docs(worker, docs)` receives each batch's documents on the worker thread (rebuild
// uses it to write each worker's documents into that worker's own shard).
class Pipeline {
 public:
  Pipeline(const IngestOptions& opt, const std::vector<std::string>& inputs)
      : opt_(opt), inputs_(inputs), analyzer_(opt.lexicon) {}

  std::function<Status(unsigned, std::vector<Xapian::Document>&)> on_worker_docs;
  // How the stored articles are compressed. If train_codec is set, the
  // reader holds back the first opt.dictionary_sample_bytes of lines and
  // trains a dictionary on their articles before any document is built
  // (rebuild); codec is then the trained codec.
  std::shared_ptr<const StoredCodec> codec = StoredCodec::Plain();
  bool train_codec = false;
  // The reference lengths the documents' wdfs are normalised with, one per
  // script side (weighting.h). If measure_length is set, the reader holds
  // back the first lines (those of the dictionary sample, at least one
  // batch) and measures them on their first opt.length_sample_articles
  // articles before any document is built (MeanVersionLengths).
  VersionLengths average_length;
  bool measure_length = false;
  // Groups near-duplicates as documents are built (see near_duplicates.h).
  NearDuplicateIndex* duplicates = nullptr;
  // If set, Run's last report is not final but names this phase, which the
  // caller runs next and reports the end of (rebuild: "merging", upsert:
  // "committing").
  const char* next_phase = nullptr;
  const Progress& last_progress() const { return last_; }
  unsigned workers() const {
    unsigned n = opt_.threads ? opt_.threads : std::thread::hardware_concurrency();
    return std::max(1u, n);
  }

  // `write` returns a non-ok status to stop the run (an exception it throws
  // does too: the threads are always joined).
  Status Run(IngestReport* rep, const std::function<Status(Batch&)>& write);

 private:
  // Raw bytes consumed so far over all inputs (updated by the reader thread).
  uint64_t RawDone();

  void Stop();

  bool TrainsCodec() const { return train_codec && opt_.dictionary_sample_bytes > 0; }

  // Trains the stored-article dictionary on the articles of `held`, and
  // measures the reference length on the first of them.
  void LearnFromSample(const std::vector<std::unique_ptr<Batch>>& held);

  void ReadAll(std::vector<std::unique_ptr<LineReader>>& readers, size_t max_queued);

  void Work(unsigned worker);

  const IngestOptions& opt_;
  const std::vector<std::string>& inputs_;
  Analyzer analyzer_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_, space_cv_, applied_cv_;
  std::deque<std::unique_ptr<Batch>> work_;
  std::unordered_map<uint64_t, std::unique_ptr<Batch>> done_;
  uint64_t produced_ = 0, processed_ = 0;
  uint64_t applied_seq_ = 0;  // batches whose near-duplicate groups are assigned
  size_t in_flight_ = 0;
  bool read_finished_ = false, stop_ = false;
  Status worker_status_;
  Progress last_;  // the last progress reported by Run
  std::mutex offset_mu_;
  std::vector<uint64_t> offsets_;
};

}  // namespace tongwen::ingest
