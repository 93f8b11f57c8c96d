#include "index/pipeline.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "schema/schema.h"

namespace tongwen::ingest {
namespace {

using Clock = std::chrono::steady_clock;

// The reason without details, for counting ("invalid JSON: parse error at
// byte 3..." -> "invalid JSON").
std::string ReasonKey(const std::string& msg) {
  auto p = msg.find_first_of(":,\"");
  std::string k = msg.substr(0, p);
  while (!k.empty() && k.back() == ' ') k.pop_back();
  return k;
}

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

}  // namespace

Status Pipeline::Run(IngestReport* rep, const std::function<Status(Batch&)>& write) {
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
      done_cv_.wait(lk, [&] { return done_.count(next_seq) || (read_finished_ && processed_ == produced_); });
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

uint64_t Pipeline::RawDone() {
  std::lock_guard<std::mutex> lk(offset_mu_);
  uint64_t d = 0;
  for (uint64_t o : offsets_) d += o;
  return d;
}

void Pipeline::Stop() {
  std::lock_guard<std::mutex> lk(mu_);
  stop_ = true;
  space_cv_.notify_all();
  work_cv_.notify_all();
  applied_cv_.notify_all();
}

void Pipeline::LearnFromSample(const std::vector<std::unique_ptr<Batch>>& held) {
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

void Pipeline::ReadAll(std::vector<std::unique_ptr<LineReader>>& readers, size_t max_queued) {
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

void Pipeline::Work(unsigned worker) {
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
      it.doc->add_value(schema::kSlotSequence, Xapian::sortable_serialise(double(b->seq * kBatchLines + i)));
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

}  // namespace tongwen::ingest
