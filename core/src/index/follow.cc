// indexer upsert --follow: a feed of articles, committed as it goes.
#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <xapian.h>

#include "index/document_builder.h"
#include "index/live_db.h"
#include "index/near_duplicates.h"
#include "index/write_errors.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "store/db_layout.h"
#include "store/stored_article.h"
#include "util/feed_reader.h"

#include "tongwen/analysis.h"
#include "tongwen/index.h"

namespace tongwen {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// While no article waits, the reader wakes this often to look for a stop.
constexpr int kIdlePollMs = 200;

// The open live generation and what documents are built with.
class FollowWriter {
 public:
  FollowWriter(const IngestOptions& opt, const std::string& gen)
      : opt_(opt), gen_(gen), analyzer_(opt.lexicon), db_(gen, Xapian::DB_OPEN) {}

  Status Init() {
    Status s = livedb::CheckSchema(db_, opt_.db_dir);
    if (!s.ok()) return s;
    Result<std::shared_ptr<const StoredCodec>> codec = StoredCodec::ForDatabase(db_);
    if (!codec.ok()) return Status::Corruption(gen_ + ": " + codec.status().message());
    codec_ = *codec;
    Result<VersionLengths> avg = ReadAverageLength(db_, gen_);
    if (!avg.ok()) return avg.status();
    average_ = *avg;
    duplicates_.Load(db_);
    return Status::Ok();
  }

  // Writes and commits `batch`; on success adds to *rep and *cr.
  Status Commit(std::vector<Article>& batch, IngestReport* rep, CommitReport* cr) {
    const auto t0 = Clock::now();
    const bool measure = average_.count() == 0;  // a new database: its first commit sets them
    if (measure) MeasureLengths(batch);
    uint64_t replaced = 0;
    try {
      for (const Article& a : batch) {
        Xapian::Document doc;
        BuildDocument(a, analyzer_, average_, &doc, codec_.get());
        duplicates_.Apply(a.id, &doc);
        doc.add_value(schema::kSlotSequence, Xapian::sortable_serialise(double(sequence_++)));
        const std::string idterm = schema::IdTerm(a.id);
        if (db_.term_exists(idterm)) ++replaced;
        db_.replace_document(idterm, doc);
      }
      if (measure) livedb::WriteAverageLength(db_, average_);
      db_.commit();
    } catch (const Xapian::Error& e) {
      return WriteError(gen_, gen_, e);
    }
    rep->indexed += batch.size();
    rep->replaced += replaced;
    cr->articles = batch.size();
    cr->replaced = replaced;
    cr->indexed = rep->indexed;
    cr->rejected = rep->rejected;
    cr->commit_ms = MsSince(t0);
    return Status::Ok();
  }

 private:
  void MeasureLengths(const std::vector<Article>& batch) {
    VersionLengths sums;
    size_t latin = 0, han = 0;
    for (const Article& a : batch) {
      const VersionLengths v = RawVersionLengths(a, analyzer_);
      sums.latin += v.latin;
      sums.han += v.han;
      latin += v.latin > 0;
      han += v.han > 0;
    }
    average_ = MeanVersionLengths(sums, latin, han);
  }

  const IngestOptions& opt_;
  std::string gen_;
  Analyzer analyzer_;
  Xapian::WritableDatabase db_;
  std::shared_ptr<const StoredCodec> codec_;
  VersionLengths average_;
  NearDuplicateIndex duplicates_;
  uint64_t sequence_ = 0;
};

// Reads the feed, committing as fo says, until its end or a stop.
class FollowRun {
 public:
  FollowRun(const IngestOptions& opt, const FollowOptions& fo, const std::string& input,
            const std::function<void(const CommitReport&)>& on_commit, IngestReport* rep)
      : opt_(opt), fo_(fo), input_(input), on_commit_(on_commit), rep_(*rep) {}

  Status Run(FollowWriter& w, FeedReader& in) {
    for (;;) {
      const bool stopping = fo_.stop && fo_.stop->load();
      // Stopping: only the complete lines already read, then the last commit.
      const FeedReader::Event ev =
          in.Next(&line_, opt_.limits.max_line_bytes, &too_long_, stopping ? 0 : WaitMs());
      if (ev == FeedReader::Event::kLine) Take(in.line_number());
      const bool end = ev == FeedReader::Event::kEnd || (stopping && ev == FeedReader::Event::kTimeout);
      if (!batch_.empty() && (end || Due())) {
        Status s = CommitBatch(w);
        if (!s.ok()) return s;
      }
      if (!end) continue;
      if (stopping && in.partial_bytes() > 0)
        Reject(std::to_string(in.line_number() + 1),
               "incomplete line: no newline when the feed was stopped, not read");
      return in.status();
    }
  }

 private:
  int WaitMs() const {
    if (batch_.empty()) return kIdlePollMs;
    const double left = double(fo_.commit_ms) - MsSince(first_);
    return std::clamp(static_cast<int>(left + 1), 1, kIdlePollMs);
  }
  bool Due() const {
    return batch_.size() >= fo_.commit_articles || MsSince(first_) >= double(fo_.commit_ms);
  }

  void Reject(const std::string& line_no, const std::string& reason) {
    ++rep_.read;
    ++rep_.rejected;
    std::string key = reason.substr(0, reason.find_first_of(":,\""));  // as Pipeline counts them
    while (!key.empty() && key.back() == ' ') key.pop_back();
    ++rep_.reasons[key];
    if (opt_.on_error) opt_.on_error(input_ + ":" + line_no + ": " + reason);
  }

  void Take(uint64_t line_no) {
    rep_.bytes += line_.size() + 1;
    if (!too_long_ && line_.find_first_not_of(" \t\r") == std::string::npos) return;  // blank
    if (too_long_) {
      Reject(std::to_string(line_no),
             "line is longer than " + std::to_string(opt_.limits.max_line_bytes) + " bytes");
      return;
    }
    bool truncated = false;
    Result<Article> a = ParseArticle(line_, opt_.limits, &truncated);
    if (!a.ok()) {
      Reject(std::to_string(line_no), a.status().message());
      return;
    }
    ++rep_.read;
    rep_.truncated += truncated;
    if (batch_.empty()) first_ = Clock::now();
    batch_.push_back(std::move(*a));
  }

  Status CommitBatch(FollowWriter& w) {
    CommitReport cr;
    cr.commit = ++commits_;
    cr.waited_ms = MsSince(first_);
    Status s = w.Commit(batch_, &rep_, &cr);
    if (!s.ok()) {
      rep_.not_written = batch_.size();
      return s;
    }
    batch_.clear();
    cr.waited_ms = MsSince(first_);
    cr.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    if (on_commit_) on_commit_(cr);
    return Status::Ok();
  }

  const IngestOptions& opt_;
  const FollowOptions& fo_;
  const std::string& input_;
  const std::function<void(const CommitReport&)>& on_commit_;
  IngestReport& rep_;
  const Clock::time_point t0_ = Clock::now();
  std::string line_;
  bool too_long_ = false;
  std::vector<Article> batch_;
  Clock::time_point first_;
  uint64_t commits_ = 0;
};

}  // namespace

Status Follow(const IngestOptions& opt, const FollowOptions& fo, const std::string& input,
              const std::function<void(const CommitReport&)>& on_commit, IngestReport* report) {
  *report = IngestReport();
  const auto t0 = Clock::now();
  if (input.size() > 3 && input.compare(input.size() - 3, 3, ".gz") == 0)
    return Status::InvalidArgument(input + ": a feed is plain JSONL, not .gz");
  if (fo.commit_articles == 0 || fo.commit_ms == 0)
    return Status::InvalidArgument("a feed commits after at least 1 article and 1 ms");
  layout::WriterLock lock;
  Status s = lock.Acquire(opt.db_dir, opt.lock_wait_seconds);
  if (!s.ok()) return s;
  layout::CleanUp(opt.db_dir);
  Result<std::string> gen = livedb::EnsureLive(opt.db_dir);
  if (!gen.ok()) return gen.status();
  try {
    FollowWriter writer(opt, *gen);
    s = writer.Init();
    if (!s.ok()) return s;
    FeedReader in;
    s = in.Open(input);
    if (!s.ok()) return fo.stop && fo.stop->load() ? Status::Ok() : s;
    s = FollowRun(opt, fo, input, on_commit, report).Run(writer, in);
  } catch (const Xapian::Error& e) {
    s = WriteError(*gen, *gen, e);
  }
  report->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return s;
}

}  // namespace tongwen
