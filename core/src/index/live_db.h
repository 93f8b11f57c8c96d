// Internal: what every writer of the live generation does when it opens it
// (upsert, delete, follow): create it if there is none, check its schema,
// and read or write the reference lengths its wdfs are normalised with.
#pragma once

#include <string>

#include <xapian.h>

#include "index/document_builder.h"

#include "tongwen/status.h"

namespace tongwen::livedb {

// Marks a new database with this build's schema and analyzer.
void WriteMetadata(Xapian::WritableDatabase& db);

// Writes the reference lengths (ReadAverageLength, index/document_builder.h),
// exactly, if both sides are positive.
void WriteAverageLength(Xapian::WritableDatabase& db, const VersionLengths& average);

// InvalidArgument if the database was written by another schema version.
Status CheckSchema(const Xapian::Database& db, const std::string& where);

// The live generation of `dir`, created empty (and the stub pointed at it)
// if there is none. REQUIRES: the writer lock is held.
Result<std::string> EnsureLive(const std::string& dir);

}  // namespace tongwen::livedb
