// Internal: one database revision's position streams
// (positions/position_stream.h), held in memory for phrase checks.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include <xapian.h>

namespace tongwen {

// One database revision's position streams, in memory. A phrase check that
// reads its candidate's stream from the database costs a B-tree block read,
// as one candidate's stream shares no block with the next one's, where
// Xapian's position table served a term's positions in consecutive
// documents from one block: a phrase of common words was several times
// slower to check from the database than with OP_PHRASE. From memory a check
// is a scan of the stream. searchd loads one store per revision, on the first
// phrase (its size: docs/api.md, "Operations").
class PositionStore {
 public:
  static std::shared_ptr<const PositionStore> Load(const Xapian::Database& db);
  // The stream of document `did` in `slot` (schema::kSlotWordPositions or
  // kSlotPinyinPositions); empty if it has none.
  std::string_view Get(Xapian::valueno slot, Xapian::docid did) const;
  // Starts loading that stream (its first 4 KB) into the CPU cache. A check
  // reads a stream that is not cached (candidates are far apart): asking
  // for all its cache lines at once overlaps their misses.
  void Prefetch(Xapian::valueno slot, Xapian::docid did) const;
  size_t bytes() const { return bytes_; }          // of the streams
  size_t memory_bytes() const { return memory_; }  // allocated: chunks and the docid index

 private:
  // The streams of one slot, by docid: pointers into large chunks, so that
  // finding a stream is one lookup in a small array (no std::string to
  // read first, which was a second cache miss).
  struct Column {
    std::vector<std::unique_ptr<char[]>> chunks;
    std::vector<std::string_view> streams;
  };
  const Column* ColumnOf(Xapian::valueno slot) const;
  Column words_, pinyin_;
  size_t bytes_ = 0, memory_ = 0;
};

// Where phrase checks read the streams: `store` if it is not null (it must
// be of the revision searched), else the database's values.
using PositionStorePtr = std::shared_ptr<const PositionStore>;

}  // namespace tongwen
