// What a database holds (`indexer stats`, searchd's /stats and /health):
// read from the database directory, for the writer (index.h) and the
// engine (engine.h) alike.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tongwen/status.h"

namespace tongwen {

struct IndexStats {
  uint64_t documents = 0;
  std::map<std::string, uint64_t> languages;  // base language -> articles having it
  std::string first_date, last_date;          // YYYY-MM-DD, empty if none
  uint64_t size_bytes = 0;                    // live generation on disk
  std::string generation;                     // e.g. "gen-3"
  std::string schema;
  // An estimate of what `indexer compact` would reclaim: the size beyond
  // what the last compaction's bytes per document give for today's
  // documents. Unknown (false) for a database never compacted by this
  // version.
  bool reclaimable_known = false;
  uint64_t reclaimable_bytes = 0;
};
Result<IndexStats> Stats(const std::string& db_dir);

}  // namespace tongwen
