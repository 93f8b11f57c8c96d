// Internal: assigns near-duplicate groups while documents are built.
//
// Every document gets a group (value slot kSlotDupGroup and an XK term): the
// group of the first earlier document whose SimHash is within
// schema::kNearDuplicateBits of its own, or its own id if there is none. So
// a whole group shares one collapse key, and a singleton's group is itself.
// Candidates come from seven 9-bit bands of the hash, which find every pair
// within 6 bits (pigeonhole).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

namespace tongwen {

class NearDuplicateIndex {
 public:
  // Loads the hashes and groups of the documents already in `db` (upsert).
  void Load(const Xapian::Database& db);
  // Returns the group for a document with this id and SimHash, and records
  // it. Thread-safe. A document never matches an earlier version of itself.
  std::string Assign(const std::string& id, uint64_t hash);
  // Sets the group value and term on a document built by BuildDocument.
  void Apply(const std::string& id, Xapian::Document* doc);

 private:
  struct Entry {
    uint64_t hash;
    std::string id, group;
  };
  std::mutex mu_;
  std::vector<Entry> entries_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> bands_;  // (band << 16 | bits) -> entries
};

}  // namespace tongwen
