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
#include "index/live_db.h"
#include "index/near_duplicates.h"
#include "index/pipeline.h"
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
using ingest::Batch;
using ingest::Item;
using ingest::Pipeline;
using livedb::CheckSchema;
using livedb::EnsureLive;
using livedb::WriteAverageLength;
using livedb::WriteMetadata;

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
