// BM25 with its length normalisation done at index time (schema/weighting.h):
// the stored wdfs, and that scores and query expansion over them match
// Xapian's BM25 and expansion over the raw wdfs.
#include "schema/weighting.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "index/document_builder.h"
#include "schema/schema.h"

using tongwen::LengthNorm;
using tongwen::NormalizedWdf;

TEST_CASE("LengthNorm: (1 - b) + b * max(length / average, 0.5)", "[weighting]") {
  struct Row {
    double length, average, norm;
  };
  const std::vector<Row> rows = {
      {1000, 1000, 1.0},  {2000, 1000, 1.75}, {4000, 1000, 3.25},
      {500, 1000, 0.625}, {100, 1000, 0.625},                  // below half the average: min_norm_length
      {0, 1000, 0.625},   {300, 0, 1.0},      {300, -2, 1.0},  // no reference length: 1
  };
  for (const Row& r : rows) {
    INFO(r.length << " / " << r.average);
    CHECK(LengthNorm(r.length, r.average) == Approx(r.norm));
  }
}

TEST_CASE("MeanVersionLengths: each side's mean; a missing side takes the other's, none the default",
          "[weighting]") {
  struct Row {
    tongwen::VersionLengths sums;
    size_t latin, han;
    double want_latin, want_han;
  };
  const double d = tongwen::kDefaultAverageLength;
  const std::vector<Row> rows = {
      {{3000, 800}, 3, 2, 1000, 400},  // both sides sampled
      {{3000, 0}, 3, 0, 1000, 1000},   // English only: Han takes the Latin mean
      {{0, 800}, 0, 2, 400, 400},      // Chinese only
      {{0, 0}, 0, 0, d, d},            // nothing measured
  };
  for (const Row& r : rows) {
    INFO(r.sums.latin << "/" << r.latin << ", " << r.sums.han << "/" << r.han);
    const tongwen::VersionLengths m = tongwen::MeanVersionLengths(r.sums, r.latin, r.han);
    CHECK(m.latin == Approx(r.want_latin));
    CHECK(m.han == Approx(r.want_han));
  }
}

TEST_CASE("NormalizedWdf: round(64 * wdf / norm), boolean terms stay 0, text terms at least 1",
          "[weighting]") {
  REQUIRE(tongwen::schema::kWdfScale == 64);
  struct Row {
    Xapian::termcount wdf;
    double norm;
    Xapian::termcount stored;
  };
  const std::vector<Row> rows = {
      {0, 1.0, 0},   {0, 0.625, 0},   {1, 1.0, 64},    {3, 1.0, 192}, {1, 2.5, 26},
      {1, 3.25, 20}, {1, 0.625, 102}, {2, 0.625, 205}, {1, 1e6, 1},   {7, 1.75, 256},
  };
  for (const Row& r : rows) {
    INFO(r.wdf << " / " << r.norm);
    CHECK(NormalizedWdf(r.wdf, r.norm) == r.stored);
  }
}

namespace {

// Two in-memory databases of the same documents: `raw` with their wdfs as
// counted, `normalised` with them stored as the indexer stores them.
struct TwinDatabases {
  Xapian::WritableDatabase raw{std::string(), Xapian::DB_BACKEND_INMEMORY};
  Xapian::WritableDatabase normalised{std::string(), Xapian::DB_BACKEND_INMEMORY};

  explicit TwinDatabases(const std::vector<std::map<std::string, Xapian::termcount>>& docs) {
    double total = 0;
    for (const auto& d : docs)
      for (const auto& tw : d) total += tw.second;
    const double average = total / static_cast<double>(docs.size());
    for (const auto& d : docs) {
      Xapian::Document a, b;
      double length = 0;
      for (const auto& tw : d) length += tw.second;
      for (const auto& [t, wdf] : d) {
        a.add_term(t, wdf);
        b.add_term(t, NormalizedWdf(wdf, LengthNorm(length, average)));
      }
      raw.add_document(a);
      normalised.add_document(b);
    }
    REQUIRE(raw.get_avlength() == Approx(average));
  }
};

// Documents of 20 to 600 tokens over a vocabulary of `words` words, word k
// drawn with weight 1 / (k + 1); `fixed_length` gives every document that
// many.
std::vector<std::map<std::string, Xapian::termcount>> RandomDocs(size_t n, unsigned seed, int words,
                                                                 int fixed_length = 0) {
  std::mt19937 rng(seed);
  std::vector<double> weights;
  for (int k = 0; k < words; ++k) weights.push_back(1.0 / (k + 1));
  std::discrete_distribution<int> word(weights.begin(), weights.end());
  std::vector<std::map<std::string, Xapian::termcount>> docs(n);
  for (auto& d : docs) {
    const int length = fixed_length ? fixed_length : 20 + static_cast<int>(rng() % 581);
    for (int i = 0; i < length; ++i) ++d["t" + std::to_string(word(rng))];
  }
  return docs;
}

std::map<Xapian::docid, double> Scores(const Xapian::Database& db, const Xapian::Query& q,
                                       const Xapian::Weight& w) {
  Xapian::Enquire e(db);
  e.set_query(q);
  e.set_weighting_scheme(w);
  std::map<Xapian::docid, double> out;
  Xapian::MSet m = e.get_mset(0, db.get_doccount());
  for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) out[*it] = it.get_weight();
  return out;
}

}  // namespace

TEST_CASE("PrenormalizedBM25 over stored wdfs scores as BM25Weight(1.2, 0, 1, 0.75, 0.5) over raw ones",
          "[weighting]") {
  TwinDatabases dbs(RandomDocs(300, 7, 30));
  auto of = [](Xapian::Query::op op, std::vector<std::string> terms) {
    return Xapian::Query(op, terms.begin(), terms.end());
  };
  const std::vector<Xapian::Query> queries = {
      Xapian::Query("t0"),
      Xapian::Query("t9"),
      Xapian::Query("t27"),
      of(Xapian::Query::OP_OR, {"t1", "t12", "t25"}),
      of(Xapian::Query::OP_AND, {"t3", "t18"}),
      of(Xapian::Query::OP_SYNONYM, {"t4", "t21"}),
  };
  size_t compared = 0;
  double worst = 0;
  for (const Xapian::Query& q : queries) {
    INFO(q.get_description());
    const auto want = Scores(dbs.raw, q, Xapian::BM25Weight(1.2, 0, 1, 0.75, 0.5));
    const auto got = Scores(dbs.normalised, q, tongwen::PrenormalizedBM25());
    REQUIRE(want.size() > 10);
    REQUIRE(got.size() == want.size());
    for (const auto& [did, w] : want) {
      INFO("docid " << did);
      REQUIRE(got.count(did));
      REQUIRE(w > 0);
      // Rounding the stored wdf (at least 36 for a word once in the
      // longest document here) moves a score by well under 1.5%.
      CHECK(got.at(did) == Approx(w).epsilon(0.015));
      worst = std::max(worst, std::abs(got.at(did) - w) / w);
      ++compared;
    }
  }
  CHECK(compared > 500);
  CHECK(worst > 0);  // the stored wdfs are rounded: not the same numbers, the same scores
}

TEST_CASE("SetExpansionScheme: query expansion over stored wdfs picks the terms it picks over raw ones",
          "[weighting]") {
  // Documents of one length (the average): Xapian's expansion weight then
  // differs between the two by a constant factor only.
  auto docs = RandomDocs(200, 9, 3000, 300);
  // And a word of each document's own, once, and one it shares with two
  // others, 5 times: rarity against wdf, which the expansion weight trades
  // off (the shared word first).
  for (size_t i = 0; i < docs.size(); ++i) {
    docs[i]["u" + std::to_string(i)] = 1;
    docs[i]["s" + std::to_string(i / 3)] = 5;
  }
  TwinDatabases dbs(docs);
  auto top_terms = [](const Xapian::Database& db, bool scheme) {
    Xapian::Enquire e(db);
    if (scheme) tongwen::SetExpansionScheme(&e);
    Xapian::RSet rset;
    rset.add_document(3);
    std::vector<std::string> out;
    Xapian::ESet es = e.get_eset(12, rset);
    for (Xapian::ESetIterator it = es.begin(); it != es.end(); ++it) out.push_back(*it);
    return out;
  };
  const std::vector<std::string> want = top_terms(dbs.raw, false);
  REQUIRE(want.size() == 12);
  REQUIRE(want[0] == "s0");
  REQUIRE(want[1] == "u2");
  CHECK(top_terms(dbs.normalised, true) == want);
  // Xapian's default (k = 1) all but saturates the 64-times-larger wdfs:
  // rarity then decides, and u2 comes first.
  CHECK(top_terms(dbs.normalised, false) != want);
}
