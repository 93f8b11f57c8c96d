#include "search/position_cache.h"

#include <utility>

#include "search/revision_cache.h"

namespace tongwen {

void PositionCache::NoteOpened(const Xapian::Database& db) const {
  std::string key = RevisionKey(db);
  std::lock_guard<std::mutex> lk(mu_);
  if (opened_.size() >= 256) {  // forget old revisions (they then get no store)
    for (auto it = opened_.begin(); it != opened_.end();)
      it = it->second < opened_count_ ? opened_.erase(it) : ++it;
  }
  opened_.emplace(std::move(key), ++opened_count_);
}

// The store is loaded outside the lock (a large archive's takes a while): every
// worker takes the lock when it reopens (NoteOpened), and phrases that
// come during the load read the database meanwhile.
PositionStorePtr PositionCache::Get(const Xapian::Database& db) const {
  const std::string key = RevisionKey(db);
  std::unique_lock<std::mutex> lk(mu_);
  auto it = opened_.find(key);
  if (!enabled_ || it == opened_.end() || (store_ && it->second < store_order_)) return nullptr;
  const uint64_t order = it->second;
  if (store_ && order == store_order_) return store_;
  if (loading_) return nullptr;
  loading_ = true;
  store_ = nullptr;  // free the old store before loading the new one
  lk.unlock();
  PositionStorePtr loaded;
  try {
    loaded = PositionStore::Load(db);
  } catch (...) {
    lk.lock();
    loading_ = false;
    throw;
  }
  lk.lock();
  loading_ = false;
  if (!store_ || order > store_order_) {
    store_ = loaded;
    store_order_ = order;
  }
  return loaded;
}

uint64_t PositionCache::memory_bytes() const {
  std::lock_guard<std::mutex> lk(mu_);
  return store_ ? store_->memory_bytes() : 0;
}

}  // namespace tongwen
