#include "tongwen/index.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

#include "index/compact.h"
#include "index/document_builder.h"
#include "index/near_duplicates.h"
#include "index/write_errors.h"
#include "positions/position_stream.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "schema/weighting.h"
#include "store/db_layout.h"
#include "store/stored_article.h"
#include "util/line_reader.h"

#include "tongwen/analysis.h"
#include "tongwen/lexicon.h"

namespace fs = std::filesystem;

namespace tongwen {
namespace {

using Clock = std::chrono::steady_clock;

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

// The reason without details, for counting ("invalid JSON: parse error at
// byte 3..." -> "invalid JSON").
std::string ReasonKey(const std::string& msg) {
  auto p = msg.find_first_of(":,\"");
  std::string k = msg.substr(0, p);
  while (!k.empty() && k.back() == ' ') k.pop_back();
  return k;
}

// Reads `inputs`, parses and analyses lines on worker threads, and hands
// batches to `write` on the calling thread, in input order. If set,
// `on_worker_docs(worker, docs)` receives each batch's documents on the worker thread (rebuild
// uses it to write each worker's documents into that worker's own shard).
// Runs the write callback; what it throws (Xapian's errors on a full disk,
// EFBIG, EIO) becomes a Status, so that the run still stops cleanly
// (issue 28: an exception skipped joining the threads, and the indexer died
// with "terminate called without an active exception").
Status WriteBatch(const std::function<Status(Batch&)>& write, Batch& b) {
  try {
    return write(b);
  } catch (const Xapian::Error& e) {
    return Status::IOError(e.get_description());
  } catch (const std::exception& e) {
    return Status::IOError(e.what());
  }
}

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
  Status Run(IngestReport* rep, const std::function<Status(Batch&)>& write) {
    std::vector<std::unique_ptr<LineReader>> readers;
    uint64_t total = 0;
    for (const std::string& in : inputs_) {
      auto r = std::make_unique<LineReader>();
      Status s = r->Open(in);
      if (!s.ok()) return s;
      total += r->raw_size();
      readers.push_back(std::move(r));
    }
    const auto t0 = Clock::now();
    const unsigned nworkers = workers();
    const size_t max_queued = nworkers * 3;

    std::thread reader([&] { ReadAll(readers, max_queued); });
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < nworkers; ++i) workers.emplace_back([this, i] { Work(i); });

    Status result;
    uint64_t next_seq = 0;
    auto last_progress = Clock::now();
    for (;;) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock<std::mutex> lk(mu_);
        done_cv_.wait(lk,
                      [&] { return done_.count(next_seq) || (read_finished_ && processed_ == produced_); });
        auto it = done_.find(next_seq);
        if (it == done_.end()) break;
        b = std::move(it->second);
        done_.erase(it);
        --in_flight_;
        space_cv_.notify_all();
      }
      ++next_seq;
      if (!result.ok()) continue;  // drain
      for (Item& it : b->items) {
        ++rep->read;
        if (!it.error.empty()) {
          ++rep->rejected;
          ++rep->reasons[ReasonKey(it.error)];
          if (opt_.on_error) opt_.on_error(it.location + ": " + it.error);
        }
        if (it.truncated) ++rep->truncated;
      }
      rep->bytes += b->bytes;
      if (rep->rejected > opt_.max_errors) {
        result = Status::InvalidArgument("too many bad lines: " + std::to_string(rep->rejected) +
                                         " (--max-errors " + std::to_string(opt_.max_errors) + ")");
        Stop();
        continue;
      }
      Status s = WriteBatch(write, *b);
      if (!s.ok()) {
        result = s;
        Stop();
        continue;
      }
      auto now = Clock::now();
      if (opt_.on_progress && now - last_progress > std::chrono::milliseconds(500)) {
        last_progress = now;
        Progress p{RawDone(),    total,         rep->read,
                   rep->indexed, rep->rejected, std::chrono::duration<double>(now - t0).count(),
                   false};
        opt_.on_progress(p);
      }
    }
    reader.join();
    for (auto& w : workers) w.join();
    for (auto& r : readers)
      if (result.ok() && !r->status().ok()) result = r->status();
    if (result.ok() && !worker_status_.ok()) result = worker_status_;
    rep->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (opt_.on_progress) {
      last_ = Progress{RawDone(), total, rep->read, rep->indexed, rep->rejected, rep->seconds, !next_phase};
      last_.phase = next_phase ? next_phase : "done";
      opt_.on_progress(last_);
    }
    return result;
  }

 private:
  // Raw bytes consumed so far over all inputs (updated by the reader thread).
  uint64_t RawDone() {
    std::lock_guard<std::mutex> lk(offset_mu_);
    uint64_t d = 0;
    for (uint64_t o : offsets_) d += o;
    return d;
  }

  void Stop() {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    space_cv_.notify_all();
    work_cv_.notify_all();
    applied_cv_.notify_all();
  }

  bool TrainsCodec() const { return train_codec && opt_.dictionary_sample_bytes > 0; }

  // Trains the stored-article dictionary on the articles of `held`, and
  // measures the reference length on the first of them.
  void LearnFromSample(const std::vector<std::unique_ptr<Batch>>& held) {
    std::vector<std::string> samples;
    VersionLengths length;
    size_t measured = 0, latin_versions = 0, han_versions = 0;
    for (const auto& b : held)
      for (const Line& l : b->lines) {
        if (l.too_long) continue;
        const bool measure = measure_length && measured < opt_.length_sample_articles;
        if (!TrainsCodec() && !measure) break;
        Result<Article> a = ParseArticle(l.text, opt_.limits);
        if (!a.ok()) continue;
        if (measure) {
          const VersionLengths v = RawVersionLengths(*a, analyzer_);
          length.latin += v.latin;
          length.han += v.han;
          latin_versions += v.latin > 0;
          han_versions += v.han > 0;
          ++measured;
        }
        if (TrainsCodec()) samples.push_back(std::move(a->json));
      }
    std::shared_ptr<const StoredCodec> trained = TrainsCodec() ? StoredCodec::Train(samples) : codec;
    std::lock_guard<std::mutex> lk(mu_);  // workers read them under mu_
    codec = std::move(trained);
    if (measure_length) average_length = MeanVersionLengths(length, latin_versions, han_versions);
  }

  void ReadAll(std::vector<std::unique_ptr<LineReader>>& readers, size_t max_queued) {
    offsets_.assign(readers.size(), 0);
    auto batch = std::make_unique<Batch>();
    auto enqueue = [&](std::unique_ptr<Batch> b) {
      std::unique_lock<std::mutex> lk(mu_);
      space_cv_.wait(lk, [&] { return stop_ || in_flight_ < max_queued; });
      if (stop_) return false;
      b->seq = produced_++;
      ++in_flight_;
      work_.push_back(std::move(b));
      work_cv_.notify_one();
      return true;
    };
    // While sampling, batches are held back (in input order) until the
    // dictionary is trained and the reference length measured.
    bool sampling = TrainsCodec() || measure_length;
    const uint64_t sample_bytes = TrainsCodec() ? opt_.dictionary_sample_bytes : 0;
    std::vector<std::unique_ptr<Batch>> held;
    size_t held_bytes = 0;
    auto release_held = [&] {
      sampling = false;
      LearnFromSample(held);
      bool ok = true;
      for (auto& b : held)
        if (ok) ok = enqueue(std::move(b));
      held.clear();
      return ok;
    };
    auto push = [&] {
      if (!sampling) {
        bool ok = enqueue(std::move(batch));
        batch = std::make_unique<Batch>();
        return ok;
      }
      held_bytes += batch->bytes;
      held.push_back(std::move(batch));
      batch = std::make_unique<Batch>();
      return held_bytes < sample_bytes || release_held();
    };
    bool go = true;
    for (uint32_t f = 0; f < readers.size() && go; ++f) {
      Line l{f, 0, {}, false};
      while (readers[f]->Next(&l.text, opt_.limits.max_line_bytes, &l.too_long)) {
        l.line_no = readers[f]->line_number();
        batch->bytes += l.text.size() + 1;
        bool blank = l.text.find_first_not_of(" \t\r") == std::string::npos && !l.too_long;
        if (!blank) batch->lines.push_back(std::move(l));
        l = Line{f, 0, {}, false};
        if (batch->lines.size() >= kBatchLines) {
          {
            std::lock_guard<std::mutex> lk(offset_mu_);
            offsets_[f] = readers[f]->raw_offset();
          }
          if (!push()) {
            go = false;
            break;
          }
        }
      }
      std::lock_guard<std::mutex> lk(offset_mu_);
      offsets_[f] = readers[f]->raw_offset();
    }
    if (go && !batch->lines.empty()) go = push();
    if (go && sampling) release_held();
    std::lock_guard<std::mutex> lk(mu_);
    read_finished_ = true;
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  void Work(unsigned worker) {
    for (;;) {
      std::unique_ptr<Batch> b;
      std::shared_ptr<const StoredCodec> stored;
      VersionLengths avg_length;
      {
        std::unique_lock<std::mutex> lk(mu_);
        work_cv_.wait(lk, [&] { return stop_ || !work_.empty() || read_finished_; });
        if (work_.empty()) {
          if (stop_ || read_finished_) return;
          continue;
        }
        b = std::move(work_.front());
        work_.pop_front();
        stored = codec;
        avg_length = average_length;
      }
      b->items.resize(b->lines.size());
      for (size_t i = 0; i < b->lines.size(); ++i) {
        const Line& l = b->lines[i];
        Item& it = b->items[i];
        it.location = inputs_[l.file] + ":" + std::to_string(l.line_no);
        if (l.too_long) {
          it.error = "line is longer than " + std::to_string(opt_.limits.max_line_bytes) + " bytes";
          continue;
        }
        Result<Article> a = ParseArticle(l.text, opt_.limits, &it.truncated);
        if (!a.ok()) {
          it.error = a.status().message();
          continue;
        }
        it.id = a->id;
        it.doc.emplace();
        BuildDocument(*a, analyzer_, avg_length, &*it.doc, stored.get());
        it.doc->add_value(schema::kSlotSequence,
                          Xapian::sortable_serialise(double(b->seq * kBatchLines + i)));
      }
      // Near-duplicate groups are assigned in input order (batch by batch),
      // so that a rebuild of the same input gives the same groups whatever
      // the threads' timing: a group is named after its first article.
      if (duplicates) {
        std::unique_lock<std::mutex> lk(mu_);
        applied_cv_.wait(lk, [&] { return stop_ || applied_seq_ == b->seq; });
        if (!stop_) {  // stopping: the run fails, its documents are dropped
          lk.unlock();
          for (Item& it : b->items)
            if (it.doc) duplicates->Apply(it.id, &*it.doc);
          lk.lock();
        }
        ++applied_seq_;
        applied_cv_.notify_all();
      }
      b->lines.clear();
      b->lines.shrink_to_fit();
      // Hand the batch on first, then write its documents: a shard's flush
      // can take seconds, and the in-order consumer (and with it the reader
      // and the other workers) must not wait for it.
      std::vector<Xapian::Document> docs;
      if (on_worker_docs)
        for (Item& it : b->items)
          if (it.doc) {
            docs.push_back(std::move(*it.doc));
            it.doc.reset();
          }
      {
        std::lock_guard<std::mutex> lk(mu_);
        ++processed_;
        done_[b->seq] = std::move(b);
        done_cv_.notify_all();
      }
      if (on_worker_docs && !docs.empty()) {
        Status st = on_worker_docs(worker, docs);
        if (!st.ok()) {
          {
            std::lock_guard<std::mutex> lk(mu_);
            if (worker_status_.ok()) worker_status_ = st;
          }
          Stop();
        }
      }
    }
  }

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

void WriteMetadata(Xapian::WritableDatabase& db) {
  db.set_metadata(std::string(schema::kMetaSchema), std::string(schema::kSchemaVersion));
  db.set_metadata(std::string(schema::kMetaAnalyzer), std::string(kAnalyzerName));
}

// The reference lengths (schema::kMetaAverageLength: the Latin side's and
// the Han side's, separated by a space); zero for a database without
// documents that has none yet. A database with documents must have them:
// its wdfs were normalised with them.
Result<VersionLengths> ReadAverageLength(const Xapian::Database& db, const std::string& where) {
  const std::string v = db.get_metadata(std::string(schema::kMetaAverageLength));
  const std::string name = "metadata " + std::string(schema::kMetaAverageLength);
  if (v.empty() && db.get_doccount() == 0) return VersionLengths{};
  if (v.empty()) return Status::Corruption(where + ": " + name + " is missing; run `indexer rebuild`");
  VersionLengths out;
  const char* p = v.c_str();
  bool ok = true;
  for (double* side : {&out.latin, &out.han}) {
    if (side == &out.han) ok = ok && *p++ == ' ';
    if (!ok || *p == ' ' || *p == '\0') {
      ok = false;
      break;
    }
    char* end = nullptr;
    *side = std::strtod(p, &end);
    ok = end != p && std::isfinite(*side) && *side > 0;
    p = end;
  }
  if (!ok || *p != '\0')
    return Status::Corruption(where + ": " + name + " is \"" + v +
                              "\", not two positive numbers (Latin and Han sides); run `indexer rebuild`");
  return out;
}

void WriteAverageLength(Xapian::WritableDatabase& db, const VersionLengths& average) {
  if (!(average.latin > 0) || !(average.han > 0)) return;
  char buf[64];
  // Exact: upserts normalise as rebuild did.
  std::snprintf(buf, sizeof buf, "%.17g %.17g", average.latin, average.han);
  db.set_metadata(std::string(schema::kMetaAverageLength), buf);
}

Status CheckSchema(const Xapian::Database& db, const std::string& where) {
  std::string v = db.get_metadata(std::string(schema::kMetaSchema));
  if (v != schema::kSchemaVersion)
    return Status::InvalidArgument("database schema is \"" + v + "\", this build writes \"" +
                                       std::string(schema::kSchemaVersion) + "\"; run `indexer rebuild`",
                                   where);
  return Status::Ok();
}

// An id given twice in a rebuild's input is in the merged database twice:
// keep the document from the later line (highest sequence value).
void KeepLatest(Xapian::WritableDatabase& db, const std::string& id) {
  const std::string term = schema::IdTerm(id);
  std::vector<Xapian::docid> all;
  size_t best = 0;
  double best_seq = -1;
  for (Xapian::PostingIterator p = db.postlist_begin(term); p != db.postlist_end(term); ++p) {
    double seq = Xapian::sortable_unserialise(db.get_document(*p).get_value(schema::kSlotSequence));
    if (seq > best_seq) {
      best_seq = seq;
      best = all.size();
    }
    all.push_back(*p);
  }
  for (size_t i = 0; i < all.size(); ++i)
    if (i != best) db.delete_document(all[i]);
}

// Merges `paths` into `out` by compaction. Past kMaxMerge sources the merge
// goes in two levels, so that no more than kMaxMerge shards (five files each)
// are open at once.
void MergeShards(const std::vector<std::string>& paths, const std::string& out, const std::string& scratch) {
  constexpr size_t kMaxMerge = 64;
  std::vector<std::string> level = paths;
  int round = 0;
  while (level.size() > kMaxMerge) {
    std::vector<std::string> next;
    for (size_t i = 0; i < level.size(); i += kMaxMerge) {
      Xapian::Database group;
      for (size_t j = i; j < std::min(level.size(), i + kMaxMerge); ++j)
        group.add_database(Xapian::Database(level[j]));
      next.push_back(scratch + "/merge" + std::to_string(round) + "-" + std::to_string(next.size()));
      group.compact(next.back(), Xapian::Compactor::FULL);
      group.close();
      for (size_t j = i; j < std::min(level.size(), i + kMaxMerge); ++j)
        std::filesystem::remove_all(level[j]);
    }
    level.swap(next);
    ++round;
  }
  // FULL, not FULLER: FULLER's oversize items made the termlist table
  // larger, and searches no faster.
  Xapian::Database all;
  for (const std::string& p : level) all.add_database(Xapian::Database(p));
  all.compact(out, Xapian::Compactor::FULL);
}

}  // namespace

namespace {

// Rebuild batching. Xapian's inverter keeps a batch's postings in maps keyed
// by term, and every posting of every document walks them, so the cost per
// document grows with the batch: small commits are faster, up to the point
// where the commit's per-term B-tree updates dominate. A shard takes
// kCommitsPerShard commits and is then closed, which keeps the B-trees a
// commit merges into small. Both were chosen on bench/indexing's rebuild of
// the bulk corpus (the index is the same size whatever they are): larger
// commits were slower, smaller ones no faster, and longer shards faster.
constexpr uint64_t kCommitDocs = 512;  // per worker, at most
constexpr uint64_t kCommitsPerShard = 32;

// Documents per commit and worker: kCommitDocs, or fewer if the memory
// budget (~64 KB per buffered document, with its share of the inverted
// lists) calls for it.
uint64_t CommitDocsPerWorker(const IngestOptions& opt, unsigned nworkers) {
  const uint64_t budget = opt.memory_mb * 1024 / 64 / std::max(1u, nworkers);
  return std::clamp<uint64_t>(budget, 64, kCommitDocs);
}

// After the phase Pipeline::next_phase named: the summary's time covers the
// whole run (since t0), and the final progress is reported.
void ReportDone(const IngestOptions& opt, const Pipeline& p, Clock::time_point t0, IngestReport* rep) {
  rep->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!opt.on_progress) return;
  Progress fin = p.last_progress();
  fin.seconds = rep->seconds;
  fin.final = true;
  fin.phase = "done";
  opt.on_progress(fin);
}

// Opens (creating if needed) the live generation for writing.
Result<std::string> EnsureLive(const std::string& dir) {
  int live = layout::LiveNumber(dir);
  if (live > 0) return layout::GenPath(dir, live);
  std::string gen = layout::GenPath(dir, 1);
  try {
    Xapian::WritableDatabase db(gen, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    WriteMetadata(db);
    db.commit();
  } catch (const Xapian::Error& e) {
    return Status::IOError(gen + ": " + e.get_description());
  }
  Status s = layout::PointStubAt(dir, 1);
  if (!s.ok()) return s;
  return gen;
}

}  // namespace

std::string IngestReport::SummaryLine() const {
  std::ostringstream o;
  if (failed()) o << "FAILED, nothing written: ";
  o << "read " << read << ", indexed " << indexed << " (replaced " << replaced << "), deleted " << deleted;
  if (not_found) o << " (not found " << not_found << ")";
  o << ", rejected " << rejected;
  if (truncated) o << ", truncated " << truncated;
  if (not_written) o << ", not written " << not_written;
  if (!reasons.empty()) {
    o << " [";
    bool first = true;
    for (const auto& [k, n] : reasons) {
      o << (first ? "" : "; ") << k << ": " << n;
      first = false;
    }
    o << "]";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " in %.1fs", seconds);
  o << buf;
  if (failed()) o << ": " << failure;
  return o.str();
}

Result<std::string> LiveGeneration(const std::string& dir) {
  int live = layout::LiveNumber(dir);
  if (live == 0) return Status::NotFound(dir + ": no database here (no " + layout::kStubName + ")");
  return layout::GenPath(dir, live);
}

namespace {

// Articles in the live generation of `dir`; nullopt if there is none or it
// cannot be read (a rebuild is how a damaged database is replaced).
std::optional<uint64_t> LiveDocCount(const std::string& dir) {
  const int live = layout::LiveNumber(dir);
  if (live == 0) return std::nullopt;
  try {
    return Xapian::Database(layout::GenPath(dir, live)).get_doccount();
  } catch (const Xapian::Error&) {
    return std::nullopt;
  }
}

// A failed run wrote nothing: say so in its report.
Status MarkFailed(Status s, IngestReport* rep) {
  if (s.ok()) return s;
  rep->failure = s.ToString();
  rep->not_written = rep->indexed;
  rep->indexed = 0;
  rep->replaced = 0;
  return s;
}

Status RebuildInto(const IngestOptions& opt, const std::vector<std::string>& inputs, IngestReport* report) {
  layout::WriterLock lock;
  Status s = lock.Acquire(opt.db_dir, opt.lock_wait_seconds);
  if (!s.ok()) return s;
  layout::CleanUp(opt.db_dir);
  const std::optional<uint64_t> live_docs = LiveDocCount(opt.db_dir);
  int next = layout::LiveNumber(opt.db_dir) + 1;
  std::error_code ec;
  while (fs::exists(layout::GenPath(opt.db_dir, next), ec)) ++next;
  const std::string tmp = opt.db_dir + "/tmp-" + std::to_string(next);
  const std::string compacted = tmp + "/compact";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IOError(tmp + ": " + ec.message());
  auto fail = [&](Status st) {
    fs::remove_all(tmp, ec);
    return st;
  };

  IngestReport& rep = *report;
  rep = IngestReport();
  // Each analysis worker writes its documents into shards of its own, so the
  // Xapian inverters run in parallel. A shard takes kCommitsPerShard commits
  // and is then closed, so that no commit merges into an ever larger B-tree
  // and the cost per document does not grow with the archive. The shards
  // are merged by compaction, a sequential k-way merge.
  const auto t0 = Clock::now();
  Pipeline p(opt, inputs);
  p.next_phase = "merging";
  p.train_codec = true;
  p.measure_length = true;
  const unsigned nworkers = p.workers();
  std::mutex shards_mu;
  std::vector<std::string> shard_paths;  // every shard, in creation order
  std::vector<std::unique_ptr<Xapian::WritableDatabase>> current(nworkers);
  std::vector<uint64_t> in_current(nworkers, 0);
  const uint64_t commit_docs = CommitDocsPerWorker(opt, nworkers);
  const uint64_t shard_docs = opt.shard_docs ? opt.shard_docs : commit_docs * kCommitsPerShard;
  auto open_shard = [&](unsigned w) {
    std::string path;
    {
      std::lock_guard<std::mutex> lk(shards_mu);
      path = tmp + "/shard" + std::to_string(shard_paths.size());
      shard_paths.push_back(path);
    }
    current[w] = std::make_unique<Xapian::WritableDatabase>(
        // Shards are scratch space, merged and fsynced by the compaction:
        // no fsync or copy-on-write while building.
        path, Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS | Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS);
    in_current[w] = 0;
  };
  auto close_shard = [&](unsigned w) {
    if (!current[w]) return;
    current[w]->commit();
    current[w]->close();
    current[w].reset();
  };
  p.on_worker_docs = [&](unsigned w, std::vector<Xapian::Document>& docs) -> Status {
    try {
      for (Xapian::Document& d : docs) {
        if (!current[w]) open_shard(w);
        current[w]->add_document(d);
        if (++in_current[w] >= shard_docs)
          close_shard(w);
        else if (in_current[w] % commit_docs == 0)
          current[w]->commit();
      }
    } catch (const Xapian::Error& e) {
      return WriteError(opt.db_dir, tmp, e);
    }
    return Status::Ok();
  };
  NearDuplicateIndex duplicates;
  p.duplicates = &duplicates;
  // In input order: count, and remember ids seen twice (the later line wins).
  std::unordered_set<std::string> seen;
  std::vector<std::string> repeated;
  Status run = p.Run(&rep, [&](Batch& b) -> Status {
    for (const Item& it : b.items) {
      if (!it.error.empty()) continue;
      ++rep.indexed;
      if (!seen.insert(it.id).second) {
        ++rep.replaced;
        repeated.push_back(it.id);
      }
    }
    return Status::Ok();
  });
  if (!run.ok()) {
    current.clear();
    return fail(run);
  }
  // An empty or failed input (a pipe whose producer failed, every line
  // rejected) must not replace the archive: refuse a new database that
  // lost more than the allowed share of the live one's articles.
  const uint64_t new_docs = seen.size();
  if (live_docs && *live_docs > 0 && !opt.allow_shrink &&
      static_cast<double>(new_docs) < static_cast<double>(*live_docs) * kMinRebuildShare) {
    current.clear();
    char share[16];
    std::snprintf(share, sizeof share, "%.0f%%", 100 * (1 - kMinRebuildShare));
    return fail(Status::InvalidArgument(
        "refusing to replace " + opt.db_dir + " (" + std::to_string(*live_docs) + " articles) with " +
        std::to_string(new_docs) + " articles (" + std::to_string(rep.read) + " lines read, " +
        std::to_string(rep.rejected) + " rejected): that loses more than " + share +
        " of them; check the input, or pass --allow-shrink to replace it anyway"));
  }
  try {
    for (unsigned w = 0; w < nworkers; ++w) close_shard(w);
    if (shard_paths.empty()) {  // no documents: an empty database
      Xapian::WritableDatabase(compacted, Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS).close();
    } else {
      MergeShards(shard_paths, compacted, tmp);
    }
    Xapian::WritableDatabase db(compacted, Xapian::DB_OPEN);
    WriteMetadata(db);
    p.codec->WriteMetadata(db);
    WriteAverageLength(db, p.average_length);
    // The later line wins for ids given twice.
    for (const std::string& id : repeated) KeepLatest(db, id);
    NoteCompacted(db, compacted);
    db.commit();
    db.close();
  } catch (const Xapian::Error& e) {
    return fail(WriteError(opt.db_dir, tmp, e));
  }
  const std::string gen = layout::GenPath(opt.db_dir, next);
  fs::rename(compacted, gen, ec);
  if (ec) return fail(Status::IOError(gen + ": " + ec.message()));
  fs::remove_all(tmp, ec);
  s = layout::PointStubAt(opt.db_dir, next);
  if (!s.ok()) return s;
  layout::CleanUp(opt.db_dir);
  // The summary's time and the final progress cover the merge too.
  ReportDone(opt, p, t0, &rep);
  return Status::Ok();
}

Status UpsertInto(const IngestOptions& opt, const std::vector<std::string>& inputs, IngestReport* report) {
  layout::WriterLock lock;
  Status s = lock.Acquire(opt.db_dir, opt.lock_wait_seconds);
  if (!s.ok()) return s;
  layout::CleanUp(opt.db_dir);
  Result<std::string> gen = EnsureLive(opt.db_dir);
  if (!gen.ok()) return gen.status();
  IngestReport& rep = *report;
  rep = IngestReport();
  const auto t0 = Clock::now();
  try {
    Xapian::WritableDatabase db(*gen, Xapian::DB_OPEN);
    s = CheckSchema(db, opt.db_dir);
    if (!s.ok()) return s;
    Result<std::shared_ptr<const StoredCodec>> codec = StoredCodec::ForDatabase(db);
    if (!codec.ok()) return Status::Corruption(*gen + ": " + codec.status().message());
    Result<VersionLengths> avg_length = ReadAverageLength(db, *gen);
    if (!avg_length.ok()) return avg_length.status();
    db.begin_transaction(/*flushed=*/true);
    NearDuplicateIndex duplicates;
    duplicates.Load(db);
    Pipeline p(opt, inputs);
    p.codec = *codec;
    p.average_length = *avg_length;
    p.measure_length = avg_length->count() == 0;  // the first articles of a new database set it
    p.duplicates = &duplicates;
    p.next_phase = "committing";  // the transaction's commit: a large part of a small upsert
    Status run = p.Run(&rep, [&](Batch& b) -> Status {
      try {
        for (Item& it : b.items) {
          if (!it.doc) continue;
          const std::string idterm = schema::IdTerm(it.id);
          if (db.term_exists(idterm)) ++rep.replaced;
          db.replace_document(idterm, *it.doc);
          ++rep.indexed;
        }
      } catch (const Xapian::Error& e) {
        return WriteError(*gen, *gen, e);
      }
      return Status::Ok();
    });
    if (!run.ok()) {
      try {
        db.cancel_transaction();
      } catch (const Xapian::Error&) {  // the run's error is the one to report
      }
      return run;
    }
    if (p.measure_length) WriteAverageLength(db, p.average_length);
    db.commit_transaction();
    ReportDone(opt, p, t0, &rep);
  } catch (const Xapian::Error& e) {
    return WriteError(*gen, *gen, e);
  }
  return Status::Ok();
}

}  // namespace

Status Rebuild(const IngestOptions& opt, const std::vector<std::string>& inputs, IngestReport* report) {
  *report = IngestReport();
  return MarkFailed(RebuildInto(opt, inputs, report), report);
}

Status Upsert(const IngestOptions& opt, const std::vector<std::string>& inputs, IngestReport* report) {
  *report = IngestReport();
  return MarkFailed(UpsertInto(opt, inputs, report), report);
}

namespace {

Status DeleteFrom(const IngestOptions& opt, const std::vector<std::string>& ids, IngestReport* report) {
  layout::WriterLock lock;
  Status s = lock.Acquire(opt.db_dir, opt.lock_wait_seconds);
  if (!s.ok()) return s;
  Result<std::string> gen = LiveGeneration(opt.db_dir);
  if (!gen.ok()) return gen.status();
  IngestReport& rep = *report;
  rep = IngestReport();
  const auto t0 = Clock::now();
  try {
    Xapian::WritableDatabase db(*gen, Xapian::DB_OPEN);
    db.begin_transaction(true);
    for (const std::string& id : ids) {
      const std::string idterm = schema::IdTerm(id);
      ++rep.read;
      if (!db.term_exists(idterm)) {
        ++rep.not_found;
        continue;
      }
      db.delete_document(idterm);
      ++rep.deleted;
    }
    db.commit_transaction();
  } catch (const Xapian::Error& e) {
    return WriteError(*gen, *gen, e);
  }
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return Status::Ok();
}

}  // namespace

Status Delete(const IngestOptions& opt, const std::vector<std::string>& ids, IngestReport* report) {
  Status s = DeleteFrom(opt, ids, report);
  // A delete that failed while writing (not one that found no database or
  // no lock) reports it as the other writers do.
  if (!s.ok() && report->read > 0) {
    MarkFailed(s, report);
    report->deleted = 0;
    report->not_found = 0;
  }
  return s;
}

Result<IndexStats> Stats(const std::string& dir) {
  Result<std::string> gen = LiveGeneration(dir);
  if (!gen.ok()) return gen.status();
  IndexStats st;
  try {
    Xapian::Database db(dir);
    st.documents = db.get_doccount();
    for (Xapian::TermIterator t = db.allterms_begin(std::string(schema::kLangPrefix));
         t != db.allterms_end(std::string(schema::kLangPrefix)); ++t)
      st.languages[std::string(schema::LanguageOfTerm(*t))] = t.get_termfreq();
    std::string lo = db.get_value_lower_bound(schema::kSlotDate);
    std::string hi = db.get_value_upper_bound(schema::kSlotDate);
    auto fmt = [](const std::string& v) {
      return v.size() == 8 ? v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2) : std::string();
    };
    st.first_date = fmt(lo);
    st.last_date = fmt(hi);
    st.schema = db.get_metadata(std::string(schema::kMetaSchema));
    st.size_bytes = layout::DirectorySize(*gen);
    EstimateReclaimable(db, &st);
  } catch (const Xapian::Error& e) {
    return Status::IOError(dir + ": " + e.get_description());
  }
  st.generation = fs::path(*gen).filename().string();
  return st;
}

Status Verify(const std::string& dir, std::string* report) {
  Result<std::string> gen = LiveGeneration(dir);
  if (!gen.ok()) return gen.status();
  std::ostringstream out;
  try {
    size_t errors = Xapian::Database::check(*gen, Xapian::DBCHECK_SHOW_STATS, &out);
    if (errors) {
      *report = out.str();
      return Status::Corruption(*gen + ": Xapian check found " + std::to_string(errors) + " errors");
    }
    Xapian::Database db(dir);
    Result<std::shared_ptr<const StoredCodec>> codec = StoredCodec::ForDatabase(db);
    if (!codec.ok()) {
      *report = out.str();
      return Status::Corruption(dir + ": " + codec.status().message());
    }
    Result<VersionLengths> avg_length = ReadAverageLength(db, dir);
    if (!avg_length.ok()) {
      *report = out.str();
      return avg_length.status();
    }
    uint64_t n = 0, bad = 0;
    for (Xapian::PostingIterator p = db.postlist_begin(""); p != db.postlist_end(""); ++p) {
      Xapian::Document d = db.get_document(*p);
      ++n;
      Result<std::string> json = StoredArticle(**codec, d);
      if (!json.ok()) {
        ++bad;
        out << json.status().message() << "\n";
        continue;
      }
      Result<Article> a = ParseArticle(*json);
      if (!a.ok()) {
        ++bad;
        out << "docid " << *p << ": stored article does not parse: " << a.status().message() << "\n";
        continue;
      }
      if (!db.term_exists(schema::IdTerm(a->id)) || d.termlist_begin() == d.termlist_end()) {
        ++bad;
        out << "docid " << *p << ": id term missing for " << a->id << "\n";
      }
      for (Xapian::valueno slot : {schema::kSlotWordPositions, schema::kSlotPinyinPositions}) {
        if (StreamWellFormed(d.get_value(slot))) continue;
        ++bad;
        out << "docid " << *p << ": position stream in value slot " << slot << " is malformed (" << a->id
            << ")\n";
      }
    }
    out << "articles checked: " << n << ", bad: " << bad << "\n";
    *report = out.str();
    if (bad) return Status::Corruption(dir + ": " + std::to_string(bad) + " stored articles are bad");
  } catch (const Xapian::Error& e) {
    *report = out.str();
    return Status::Corruption(dir + ": " + e.get_description());
  }
  return Status::Ok();
}

}  // namespace tongwen
