// BM25 with its document-length normalisation done at index time.
//
// Xapian's BM25Weight (b > 0) reads every candidate's length from the
// database's doclength list, and glass finds a length by decoding that list
// forward from the start of its chunk: for a common word a search decoded
// most of the list, a cost that grows with the archive. Lucene keeps such
// norms per document instead; here they are folded into the wdf, as impact
// indexes do. Each script side of an article (its English version; its
// Chinese versions) is normalised as a document of its own
// (schema::IsHanSideTerm), since the search scores an article as its better
// side. For a side of length dl (the sum of its terms' raw wdfs, as Xapian
// counts a document's) and the database's reference length L,
//   norm(dl) = (1 - b) + b * max(dl / L, min_norm_length)
// and each term is stored with wdf' = round(kWdfScale * wdf / norm). BM25
// with b = 0 and k1' = k1 * kWdfScale over wdf' is then exactly BM25 over
// the raw wdfs, times (k1 * kWdfScale + 1) / (k1 + 1), which
// PrenormalizedBM25 divides out, so scores keep BM25's scale (the recency
// bonus is sized against it). It needs no document length.
//
// What differs from Xapian's BM25: L is the mean length of the versions of
// the first articles of the rebuild (IngestOptions::length_sample_articles), fixed
// until the next rebuild, not the live mean; and wdf' is an integer (a
// relative error under 1/(2 wdf'), 0.8% for a word once in an average
// document; Lucene quantises its norms to a byte).
#pragma once

#include <xapian.h>

#include "schema/schema.h"

namespace tongwen {

// norm(dl) above, for a document of raw length `length`; 1 if
// `average_length` is not positive.
double LengthNorm(double length, double average_length);

// The stored wdf of a term with raw wdf `wdf` in a document of norm `norm`:
// 0 stays 0 (a boolean term), anything else is at least 1.
Xapian::termcount NormalizedWdf(Xapian::termcount wdf, double norm);

// PrenormalizedBM25's k1 over the stored wdfs, and the factor that scales
// its scores back to BM25's over raw wdfs.
inline constexpr double kPrenormalizedK1 = schema::kBm25K1 * schema::kWdfScale;
inline constexpr double kPrenormalizedScale = (schema::kBm25K1 + 1) / (kPrenormalizedK1 + 1);

// Xapian's BM25Weight(k1 * kWdfScale, 0, 1, 0, min_norm_length), scaled back
// to the scores of BM25Weight(k1, 0, 1, b, min_norm_length) on raw wdfs.
class PrenormalizedBM25 : public Xapian::BM25Weight {
 public:
  PrenormalizedBM25();
  std::string name() const override;
  PrenormalizedBM25* clone() const override;
  double get_sumpart(Xapian::termcount wdf, Xapian::termcount len, Xapian::termcount uniq) const override;
  double get_maxpart() const override;

 private:
  double scale_;
};

// The query expansion (Enquire::get_eset) that matches normalised wdfs: its
// weight saturates a term's wdf with k = 1 against the document's length,
// which here is a sum of normalised wdfs; k is scaled as BM25's k1 is.
void SetExpansionScheme(Xapian::Enquire* enquire);

}  // namespace tongwen
