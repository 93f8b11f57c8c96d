// WeightedTermsSource (MaxScore over one array of postings) scores and finds
// what Xapian's OR of OP_SCALE_WEIGHT(term, scale) finds, with pruning on
// (top 10) and off (every match), alone and inside AND_NOT, FILTER and OR.
#include "query/weighted_terms.h"

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "schema/weighting.h"
#include "test_util.h"

#include "tongwen/index.h"

namespace {

std::map<Xapian::docid, double> All(const Xapian::Database& db, const Xapian::Query& q) {
  Xapian::Enquire e(db);
  e.set_weighting_scheme(tongwen::PrenormalizedBM25());
  e.set_query(q);
  std::map<Xapian::docid, double> out;
  const Xapian::MSet m = e.get_mset(0, db.get_doccount());
  for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) out[*it] = it.get_weight();
  return out;
}

std::vector<std::pair<Xapian::docid, double>> Top(const Xapian::Database& db, const Xapian::Query& q) {
  Xapian::Enquire e(db);
  e.set_weighting_scheme(tongwen::PrenormalizedBM25());
  e.set_query(q);
  std::vector<std::pair<Xapian::docid, double>> out;
  const Xapian::MSet m = e.get_mset(0, 10);  // check_at_least 0: Xapian prunes
  for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) out.emplace_back(*it, it.get_weight());
  return out;
}

}  // namespace

TEST_CASE("WeightedTermsSource matches Xapian's OR of scaled terms", "[weighted_terms]") {
  testutil::TempDir dir;
  const std::string db_dir = testutil::RebuildFrom(dir, testutil::SyntheticArticles(500, 33));
  Xapian::Database db(*tongwen::LiveGeneration(db_dir));
  // The text terms of the index (stems and Han words), and one it lacks.
  std::vector<std::string> vocabulary = {"Znosuchterm"};
  for (Xapian::TermIterator t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    const std::string term = *t;
    if ((term.size() > 1 && term[0] == 'Z' && term[1] != 'S') || static_cast<unsigned char>(term[0]) >= 0x80)
      vocabulary.push_back(term);
  }
  REQUIRE(vocabulary.size() > 20);
  std::mt19937 rng(5);
  size_t compared = 0;
  for (int it = 0; it < 60; ++it) {
    std::vector<tongwen::WeightedTermsSource::Term> terms;
    std::vector<Xapian::Query> scaled;
    const size_t n = 1 + rng() % 25;
    for (size_t k = 0; k < n; ++k) {
      const std::string& t = vocabulary[rng() % vocabulary.size()];
      // Scales spread over two orders of magnitude, so that MaxScore has
      // non-essential terms to skip.
      const double scale = std::pow(10.0, static_cast<double>(rng() % 2000) / 1000.0 - 1);
      terms.push_back({t, scale});
      scaled.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(t), scale);
    }
    const Xapian::Query xapian(Xapian::Query::OP_OR, scaled.begin(), scaled.end());
    const Xapian::Query source((new tongwen::WeightedTermsSource(terms))->release());
    const Xapian::Query other(vocabulary[1 + rng() % (vocabulary.size() - 1)]);
    const std::vector<std::pair<Xapian::Query, Xapian::Query>> pairs = {
        {xapian, source},
        {Xapian::Query(Xapian::Query::OP_AND_NOT, xapian, other),
         Xapian::Query(Xapian::Query::OP_AND_NOT, source, other)},
        {Xapian::Query(Xapian::Query::OP_FILTER, xapian, other),
         Xapian::Query(Xapian::Query::OP_FILTER, source, other)},
        {Xapian::Query(Xapian::Query::OP_OR, xapian, other),
         Xapian::Query(Xapian::Query::OP_OR, source, other)},
    };
    for (size_t p = 0; p < pairs.size(); ++p) {
      INFO("set " << it << " (" << n << " terms), form " << p);
      const auto want = All(db, pairs[p].first);
      const auto got = All(db, pairs[p].second);
      REQUIRE(got.size() == want.size());
      for (const auto& [d, w] : want) {
        REQUIRE(got.count(d));
        CHECK(got.at(d) == Approx(w).epsilon(1e-9));
      }
      // The top ten with pruning: the same weights rank by rank, each the
      // weight of its document (ties may order differently by a last bit).
      const auto top_want = Top(db, pairs[p].first);
      const auto top_got = Top(db, pairs[p].second);
      REQUIRE(top_got.size() == top_want.size());
      for (size_t i = 0; i < top_got.size(); ++i) {
        CHECK(top_got[i].second == Approx(top_want[i].second).epsilon(1e-9));
        CHECK(want.at(top_got[i].first) == Approx(top_got[i].second).epsilon(1e-9));
        ++compared;
      }
    }
  }
  CHECK(compared > 1500);
}
