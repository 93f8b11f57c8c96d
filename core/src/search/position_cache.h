// Internal: the position store (positions/position_store.h) an engine holds
// for phrase checks.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <xapian.h>

#include "positions/position_store.h"

namespace tongwen {

// Position streams of one revision, loaded on the first phrase that
// revision is searched for; one store only (it is the largest per-revision
// state: docs/api.md, "Operations"), not two as for the other state. Revisions are
// ordered by when a thread first opened them: a worker still at an older
// revision than the store's gets none, and its phrases read the database
// until it reopens. Thread-safe.
class PositionCache {
 public:
  // `enabled` false (EngineOptions::positions_in_memory): no store, ever.
  explicit PositionCache(bool enabled) : enabled_(enabled) {}
  PositionCache(const PositionCache&) = delete;
  PositionCache& operator=(const PositionCache&) = delete;

  // Records that a thread opened (or reopened) `db`, at its revision.
  void NoteOpened(const Xapian::Database& db) const;
  // The store of db's revision; null if there is none to give (disabled,
  // an older revision than the store's, or while another thread loads it).
  PositionStorePtr Get(const Xapian::Database& db) const;
  // Memory held by the store (0 if none).
  uint64_t memory_bytes() const;

 private:
  const bool enabled_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, uint64_t> opened_;  // revision key -> order first opened
  mutable uint64_t opened_count_ = 0;
  mutable PositionStorePtr store_;
  mutable uint64_t store_order_ = 0;
  mutable bool loading_ = false;
};

}  // namespace tongwen
