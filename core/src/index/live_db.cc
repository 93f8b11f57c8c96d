#include "index/live_db.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "schema/schema.h"
#include "store/db_layout.h"

#include "tongwen/analysis.h"

namespace tongwen::livedb {

void WriteMetadata(Xapian::WritableDatabase& db) {
  db.set_metadata(std::string(schema::kMetaSchema), std::string(schema::kSchemaVersion));
  db.set_metadata(std::string(schema::kMetaAnalyzer), std::string(kAnalyzerName));
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

}  // namespace tongwen::livedb
