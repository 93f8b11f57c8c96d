#include "schema/weighting.h"

#include <algorithm>
#include <cmath>

#include "schema/schema.h"

namespace tongwen {
namespace s = schema;

double LengthNorm(double length, double average_length) {
  if (!(average_length > 0)) return 1;
  return (1 - s::kBm25B) + s::kBm25B * std::max(length / average_length, s::kBm25MinNormLength);
}

Xapian::termcount NormalizedWdf(Xapian::termcount wdf, double norm) {
  if (wdf == 0) return 0;
  const double w = std::round(s::kWdfScale * wdf / norm);
  if (w < 1) return 1;
  if (w > 0xffffffff) return 0xffffffff;
  return static_cast<Xapian::termcount>(w);
}

PrenormalizedBM25::PrenormalizedBM25()
    : Xapian::BM25Weight(kPrenormalizedK1, 0, 1, 0, s::kBm25MinNormLength), scale_(kPrenormalizedScale) {}

std::string PrenormalizedBM25::name() const { return "tongwen::PrenormalizedBM25"; }

PrenormalizedBM25* PrenormalizedBM25::clone() const { return new PrenormalizedBM25(); }

double PrenormalizedBM25::get_sumpart(Xapian::termcount wdf, Xapian::termcount len,
                                      Xapian::termcount uniq) const {
  return scale_ * Xapian::BM25Weight::get_sumpart(wdf, len, uniq);
}

double PrenormalizedBM25::get_maxpart() const { return scale_ * Xapian::BM25Weight::get_maxpart(); }

void SetExpansionScheme(Xapian::Enquire* enquire) { enquire->set_expansion_scheme("trad", s::kWdfScale); }

}  // namespace tongwen
