#include "positions/position_store.h"

#include <algorithm>
#include <cstring>

#include "schema/schema.h"

namespace tongwen {

std::shared_ptr<const PositionStore> PositionStore::Load(const Xapian::Database& db) {
  constexpr size_t kMinChunk = size_t{64} << 10, kChunk = size_t{8} << 20;
  auto store = std::make_shared<PositionStore>();
  const size_t n = size_t{db.get_lastdocid()} + 1;
  for (Xapian::valueno slot : {schema::kSlotWordPositions, schema::kSlotPinyinPositions}) {
    Column& column = slot == schema::kSlotWordPositions ? store->words_ : store->pinyin_;
    column.streams.assign(n, std::string_view());
    size_t used = kChunk, size = kChunk;  // of the last chunk (none yet)
    for (Xapian::ValueIterator v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v) {
      if (v.get_docid() >= n) continue;
      const std::string value = *v;
      if (used + value.size() > size) {
        // Chunks grow with the column (64 KB, 128 KB, ... 8 MB): a small
        // database does not hold 8 MB.
        size = std::max(std::clamp(column.chunks.empty() ? 0 : 2 * size, kMinChunk, kChunk), value.size());
        column.chunks.push_back(std::make_unique<char[]>(size));
        store->memory_ += size;
        used = 0;
      }
      char* at = column.chunks.back().get() + used;
      std::memcpy(at, value.data(), value.size());
      column.streams[v.get_docid()] = std::string_view(at, value.size());
      used += value.size();
      store->bytes_ += value.size();
    }
    store->memory_ += column.streams.size() * sizeof(std::string_view);
  }
  return store;
}

const PositionStore::Column* PositionStore::ColumnOf(Xapian::valueno slot) const {
  return slot == schema::kSlotWordPositions     ? &words_
         : slot == schema::kSlotPinyinPositions ? &pinyin_
                                                : nullptr;
}

std::string_view PositionStore::Get(Xapian::valueno slot, Xapian::docid did) const {
  const Column* c = ColumnOf(slot);
  return c && did < c->streams.size() ? c->streams[did] : std::string_view();
}

void PositionStore::Prefetch(Xapian::valueno slot, Xapian::docid did) const {
  const std::string_view s = Get(slot, did);
  for (size_t i = 0; i < s.size() && i < 4096; i += 64) __builtin_prefetch(s.data() + i);
}

}  // namespace tongwen
