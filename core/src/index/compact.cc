// indexer compact: the live generation, compacted, as a new generation.
#include "index/compact.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "index/write_errors.h"
#include "schema/schema.h"
#include "store/db_layout.h"

#include "tongwen/index.h"

namespace fs = std::filesystem;

namespace tongwen {

void NoteCompacted(Xapian::WritableDatabase& db, const std::string& path) {
  db.commit();  // the size with everything but this note
  const std::string v =
      std::to_string(layout::DirectorySize(path)) + " " + std::to_string(uint64_t{db.get_doccount()});
  db.set_metadata(std::string(schema::kMetaCompacted), v);
}

void EstimateReclaimable(const Xapian::Database& db, IndexStats* st) {
  unsigned long long bytes = 0, docs = 0;
  const std::string v = db.get_metadata(std::string(schema::kMetaCompacted));
  if (std::sscanf(v.c_str(), "%llu %llu", &bytes, &docs) != 2 || docs == 0) return;
  const double expected =
      static_cast<double>(bytes) * static_cast<double>(st->documents) / static_cast<double>(docs);
  st->reclaimable_known = true;
  st->reclaimable_bytes = static_cast<double>(st->size_bytes) > expected
                              ? static_cast<uint64_t>(static_cast<double>(st->size_bytes) - expected)
                              : 0;
}

Status Compact(const IngestOptions& opt, CompactReport* report) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  *report = CompactReport();
  layout::WriterLock lock;
  Status s = lock.Acquire(opt.db_dir, opt.lock_wait_seconds);
  if (!s.ok()) return s;
  layout::CleanUp(opt.db_dir);
  const int live = layout::LiveNumber(opt.db_dir);
  if (live == 0) return Status::NotFound(opt.db_dir + ": no database here (no " + layout::kStubName + ")");
  const std::string from = layout::GenPath(opt.db_dir, live);
  report->size_before = layout::DirectorySize(from);
  int next = live + 1;
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
  try {
    // FULL, as rebuild merges its shards (see MergeShards).
    Xapian::Database(from).compact(compacted, Xapian::Compactor::FULL);
    Xapian::WritableDatabase db(compacted, Xapian::DB_OPEN);
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
  report->size_after = layout::DirectorySize(gen);
  report->generation = fs::path(gen).filename().string();
  report->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return Status::Ok();
}

}  // namespace tongwen
