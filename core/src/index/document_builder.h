// Internal: an article's Xapian document (terms, values, position
// streams, stored JSON), as schema/ lays it out, and the lengths its wdfs
// are normalised with (schema/weighting.h).
#pragma once

#include <cstddef>
#include <string>

#include "tongwen/article.h"
#include "tongwen/status.h"

namespace Xapian {
class Database;
class Document;
}  // namespace Xapian

namespace tongwen {

class Analyzer;
class StoredCodec;

// The lengths BM25 sees for the article's versions: the sums of the raw
// wdfs (before normalisation) of its text terms on each script side
// (schema::IsHanSideTerm); 0 for a side the article has no text on. The
// same type holds a database's reference lengths, the mean of each side.
struct VersionLengths {
  double latin = 0, han = 0;
  // The sides with text.
  size_t count() const { return (latin > 0) + (han > 0); }
};
// Builds the Xapian document for an article (terms, values, stored JSON).
// The wdfs of each script side are normalised by that side's length against
// the database's reference length for the side (schema/weighting.h). The JSON
// is compressed with `codec` (store/stored_article.h); null: without a
// dictionary.
void BuildDocument(const Article& a, const Analyzer& analyzer, const VersionLengths& reference,
                   Xapian::Document* doc, const StoredCodec* codec = nullptr);
VersionLengths RawVersionLengths(const Article& a, const Analyzer& analyzer);
// The database's reference lengths (schema::kMetaAverageLength: the Latin
// side's and the Han side's, separated by a space); zero for a database
// without documents that has none yet. A database with documents must have
// them (kCorruption naming `where` otherwise): its wdfs were normalised
// with them.
Result<VersionLengths> ReadAverageLength(const Xapian::Database& db, const std::string& where);

// The reference length of a database whose first articles could not be
// measured (none parsed); about the mean of the bulk corpus.
inline constexpr double kDefaultAverageLength = 1000;

// The reference lengths measured on a sample: each side's mean over the
// sampled versions that have it. A side the sample lacks takes the other
// side's mean (an English-only archive's first Chinese article is then
// normalised as an English one would be), and an empty sample the default.
VersionLengths MeanVersionLengths(const VersionLengths& sums, size_t latin_versions, size_t han_versions);

}  // namespace tongwen
