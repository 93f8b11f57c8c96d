// Internal: state built once per database revision and shared by the
// threads that search that revision.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <xapian.h>

namespace tongwen {

// The database's uuid and revision: what per-revision state is keyed by.
inline std::string RevisionKey(const Xapian::Database& db) {
  return db.get_uuid() + ":" + std::to_string(db.get_revision());
}

// The T of the last two revisions asked for, shared by every thread. A
// revision's T is built on the first request for it, under the cache's
// lock (so once). Two: after an update the workers reopen one by one
// (within EngineOptions::reopen_interval_ms), and meanwhile some search the
// old revision and some the new one.
template <typename T>
class RevisionCache {
 public:
  // Builds the T of db's revision (`key`: RevisionKey(db)).
  using Builder = std::shared_ptr<T> (*)(const Xapian::Database& db, const std::string& key);
  explicit RevisionCache(Builder build) : build_(build) {}
  RevisionCache(const RevisionCache&) = delete;
  RevisionCache& operator=(const RevisionCache&) = delete;

  // The T of the revision `db` is at.
  std::shared_ptr<T> Get(const Xapian::Database& db) const {
    std::string key = RevisionKey(db);
    std::lock_guard<std::mutex> lk(mu_);
    for (const Entry& e : entries_)
      if (e.value && e.key == key) return e.value;
    entries_[1] = std::move(entries_[0]);
    entries_[0].value = build_(db, key);
    entries_[0].key = std::move(key);
    return entries_[0].value;
  }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<T> value;
  };
  const Builder build_;
  mutable std::mutex mu_;
  mutable Entry entries_[2];  // the newest first
};

}  // namespace tongwen
