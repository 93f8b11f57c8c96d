// ExpandDocument picks the terms, weights and order of Xapian's get_eset
// (one-document RSet, SetExpansionScheme), reading frequencies through a
// TermFreqCache of the revision.
#include "query/expansion.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "schema/weighting.h"
#include "test_util.h"

#include "tongwen/index.h"

namespace {

// Text terms (stems, Han words and bigrams), as related search keeps; or
// every term, boolean ones (wdf 0) included.
class Decider : public Xapian::ExpandDecider {
 public:
  explicit Decider(bool all) : all_(all) {}
  bool operator()(const std::string& t) const override {
    return all_ || (!t.empty() && (t[0] == 'Z' || static_cast<unsigned char>(t[0]) >= 0x80));
  }

 private:
  bool all_;
};

std::vector<tongwen::ExpandedTerm> XapianEset(const Xapian::Database& db, Xapian::docid did, size_t n,
                                              const Xapian::ExpandDecider& decider) {
  Xapian::Enquire enq(db);
  tongwen::SetExpansionScheme(&enq);
  Xapian::RSet rset;
  rset.add_document(did);
  Xapian::ESet es = enq.get_eset(static_cast<Xapian::termcount>(n), rset, &decider);
  std::vector<tongwen::ExpandedTerm> out;
  for (Xapian::ESetIterator it = es.begin(); it != es.end(); ++it) out.push_back({*it, it.get_weight()});
  return out;
}

// Every document's expansion against Xapian's, exactly (the same doubles).
size_t CompareAll(const Xapian::Database& db, tongwen::TermFreqCache* cache) {
  size_t compared = 0;
  for (Xapian::PostingIterator p = db.postlist_begin(""); p != db.postlist_end(""); ++p) {
    for (bool all : {false, true}) {
      const Decider decider(all);
      for (size_t n : {size_t{5}, size_t{20}, size_t{1000}}) {
        const auto want = XapianEset(db, *p, n, decider);
        const auto got = tongwen::ExpandDocument(db, *p, n, decider, cache);
        INFO("document " << *p << ", all terms " << all << ", n " << n);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) {
          INFO("rank " << i << ": " << want[i].term);
          CHECK(got[i].term == want[i].term);
          CHECK(got[i].weight == want[i].weight);
        }
        compared += got.size();
      }
    }
  }
  return compared;
}

}  // namespace

TEST_CASE("ExpandDocument: the terms, weights and order of get_eset, also after an upsert", "[expansion]") {
  testutil::TempDir dir;
  const std::vector<std::string> articles = testutil::SyntheticArticles(60, 5);
  std::string first, second;
  for (size_t i = 0; i < articles.size(); ++i) (i < 40 ? first : second) += articles[i] + "\n";
  testutil::WriteFile(dir / "a.jsonl", first);
  testutil::WriteFile(dir / "b.jsonl", second);
  tongwen::IngestOptions io;
  io.db_dir = dir / "db";
  io.threads = 1;
  tongwen::IngestReport report;
  REQUIRE(tongwen::Rebuild(io, {dir / "a.jsonl"}, &report).ok());
  Xapian::Database db(io.db_dir);
  REQUIRE(db.get_doccount() == 40);
  tongwen::TermFreqCache cache("first");
  CHECK(CompareAll(db, &cache) > 1000);
  // Every term the decider kept was cached once, with its frequency.
  CHECK(cache.size() > 100);
  size_t checked = 0;
  for (Xapian::TermIterator t = db.allterms_begin("Z"); t != db.allterms_end("Z") && checked < 50; ++t) {
    CHECK(cache.Get(db, {*t}) == std::vector<Xapian::doccount>{t.get_termfreq()});
    ++checked;
  }
  // A new revision (frequencies changed) with a cache of its own.
  REQUIRE(tongwen::Upsert(io, {dir / "b.jsonl"}, &report).ok());
  db.reopen();
  REQUIRE(db.get_doccount() == 60);
  tongwen::TermFreqCache fresh("second");
  CHECK(CompareAll(db, &fresh) > 1500);
  // The old revision's cache gives the old frequencies: a cache is for one
  // revision only (the engine keys them by revision).
  size_t differ = 0;
  for (Xapian::TermIterator t = db.allterms_begin("Z"); t != db.allterms_end("Z"); ++t)
    differ += cache.Get(db, {*t})[0] != t.get_termfreq();
  CHECK(differ > 0);
  // A full cache stops growing and still answers (from the database).
  tongwen::TermFreqCache small("small", 10);
  CHECK(CompareAll(db, &small) > 1500);
  CHECK(small.size() == 10);
}
