#include "index/near_duplicates.h"

#include <cstdlib>

#include "schema/schema.h"
#include "schema/terms.h"

namespace tongwen {
namespace {

constexpr int kBands = schema::kNearDuplicateBits + 1, kBandBits = 9;
static_assert(kBands * kBandBits <= 64, "bands must fit in the hash");

uint64_t BandKey(uint64_t h, int b) {
  return (uint64_t(b) << 16) | ((h >> (kBandBits * b)) & ((1u << kBandBits) - 1));
}

}  // namespace

void NearDuplicateIndex::Load(const Xapian::Database& db) {
  std::lock_guard<std::mutex> lk(mu_);
  // Article ids by docid, from the id terms' postlists, and the groups from
  // their value stream: reading each document instead (its termlist for the
  // id) made every upsert into a large index slow.
  std::vector<std::string> ids(size_t{db.get_lastdocid()} + 1);
  const std::string q(schema::kIdPrefix);
  for (Xapian::TermIterator t = db.allterms_begin(q); t != db.allterms_end(q); ++t) {
    Xapian::PostingIterator p = db.postlist_begin(*t);
    if (p != db.postlist_end(*t) && *p < ids.size()) ids[*p] = schema::IdOfTerm(*t);
  }
  Xapian::ValueIterator g = db.valuestream_begin(schema::kSlotDupGroup);
  const Xapian::ValueIterator g_end = db.valuestream_end(schema::kSlotDupGroup);
  for (Xapian::ValueIterator v = db.valuestream_begin(schema::kSlotSimHash);
       v != db.valuestream_end(schema::kSlotSimHash); ++v) {
    const Xapian::docid did = v.get_docid();
    if (did >= ids.size()) continue;
    std::string group;
    if (g != g_end && g.get_docid() < did) g.skip_to(did);
    if (g != g_end && g.get_docid() == did) group = *g;
    const uint32_t i = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{std::strtoull((*v).c_str(), nullptr, 16), ids[did], std::move(group)});
    if (entries_.back().group.empty()) entries_.back().group = entries_.back().id;
    for (int b = 0; b < kBands; ++b) bands_[BandKey(entries_[i].hash, b)].push_back(i);
  }
}

std::string NearDuplicateIndex::Assign(const std::string& id, uint64_t hash) {
  std::lock_guard<std::mutex> lk(mu_);
  std::string group;
  for (int b = 0; b < kBands && group.empty(); ++b) {
    auto it = bands_.find(BandKey(hash, b));
    if (it == bands_.end()) continue;
    for (uint32_t j : it->second)
      if (entries_[j].id != id &&
          __builtin_popcountll(entries_[j].hash ^ hash) <= schema::kNearDuplicateBits) {
        group = entries_[j].group;
        break;
      }
  }
  if (group.empty()) group = id;
  const uint32_t i = static_cast<uint32_t>(entries_.size());
  entries_.push_back(Entry{hash, id, group});
  for (int b = 0; b < kBands; ++b) bands_[BandKey(hash, b)].push_back(i);
  return group;
}

void NearDuplicateIndex::Apply(const std::string& id, Xapian::Document* doc) {
  const std::string group =
      Assign(id, std::strtoull(doc->get_value(schema::kSlotSimHash).c_str(), nullptr, 16));
  doc->add_value(schema::kSlotDupGroup, group);
  doc->add_boolean_term(schema::DupGroupTerm(group));
}

}  // namespace tongwen
