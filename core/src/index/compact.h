// Compaction bookkeeping shared by rebuild, compact and stats (issue 28).
#pragma once

#include <cstdint>
#include <string>

#include <xapian.h>

#include "tongwen/index_stats.h"

namespace tongwen {

// Records, in the metadata of the just-compacted database at `path`
// (opened for writing as `db`), its size and documents, for
// EstimateReclaimable. Call before the last commit.
void NoteCompacted(Xapian::WritableDatabase& db, const std::string& path);

// Fills st->reclaimable_* from the metadata NoteCompacted wrote and the
// generation's size (st->size_bytes) and documents.
void EstimateReclaimable(const Xapian::Database& db, IndexStats* st);

}  // namespace tongwen
