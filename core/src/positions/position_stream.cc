#include "positions/position_stream.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tongwen {
namespace {

void PutVarint(uint32_t x, std::string* out) {
  while (x >= 0x80) {
    out->push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out->push_back(static_cast<char>(x));
}

bool GetVarint(std::string_view s, size_t* i, uint32_t* x) {
  uint32_t v = 0;
  for (int shift = 0; shift < 35 && *i < s.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(s[(*i)++]);
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *x = v;
      return true;
    }
  }
  return false;
}

uint16_t HashAt(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8);
}

bool In(uint16_t h, const std::vector<uint16_t>& set) {
  return std::find(set.begin(), set.end(), h) != set.end();
}

// Whether the phrase's positions 1.. follow a match of position 0 at `p`.
bool RestFollows(const char* run, size_t p, const PhraseHashes& slots) {
  for (size_t k = 1; k < slots.size(); ++k)
    if (!In(HashAt(run + 2 * (p + k)), slots[k])) return false;
  return true;
}

// Whether a run of `len` >= slots.size() hashes holds the phrase. The scan
// for the first position's hashes is most of a phrase check; with SSE2 it
// compares 8 hashes at a time (the streams are little-endian, as x86 is).
bool RunHasPhrase(const char* run, size_t len, const PhraseHashes& slots) {
  const size_t last = len - slots.size();  // the last position a match can start at
  const std::vector<uint16_t>& first = slots[0];
  size_t p = 0;
#if defined(__SSE2__)
  if (!first.empty() && first.size() <= 4) {
    __m128i keys[4];
    for (size_t a = 0; a < first.size(); ++a) keys[a] = _mm_set1_epi16(static_cast<short>(first[a]));
    for (; p + 8 <= len && p <= last; p += 8) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(run + 2 * p));
      __m128i eq = _mm_cmpeq_epi16(v, keys[0]);
      for (size_t a = 1; a < first.size(); ++a) eq = _mm_or_si128(eq, _mm_cmpeq_epi16(v, keys[a]));
      for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(eq)); mask; mask &= mask - 1) {
        const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
        mask &= ~(1u << bit);  // each hash sets two mask bits; this clears the first, the loop the second
        const size_t q = p + bit / 2;
        if (q <= last && RestFollows(run, q, slots)) return true;
      }
    }
  }
#endif
  for (; p <= last; ++p)
    if (In(HashAt(run + 2 * p), first) && RestFollows(run, p, slots)) return true;
  return false;
}

}  // namespace

uint16_t PositionHash(std::string_view term) {
  uint32_t h = 2166136261u;
  for (unsigned char c : term) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<uint16_t>(h ^ (h >> 16));
}

void PositionStream::Add(uint32_t pos, std::string_view term) {
  if (!entries_.empty() && pos <= entries_.back().first) return;
  entries_.emplace_back(pos, PositionHash(term));
}

std::string PositionStream::Encode() const {
  std::string out;
  out.reserve(entries_.size() * 2 + 8);
  uint32_t prev_end = 0;
  for (size_t i = 0; i < entries_.size();) {
    size_t j = i + 1;
    while (j < entries_.size() && entries_[j].first == entries_[j - 1].first + 1) ++j;
    if (j - i < 2) {  // no phrase fits in one position
      i = j;
      continue;
    }
    PutVarint(entries_[i].first - prev_end, &out);
    PutVarint(static_cast<uint32_t>(j - i), &out);
    for (size_t k = i; k < j; ++k) {
      out.push_back(static_cast<char>(entries_[k].second & 0xff));
      out.push_back(static_cast<char>(entries_[k].second >> 8));
    }
    prev_end = entries_[j - 1].first;
    i = j;
  }
  return out;
}

bool StreamWellFormed(std::string_view stream) {
  size_t i = 0;
  while (i < stream.size()) {
    uint32_t gap = 0, len = 0;
    if (!GetVarint(stream, &i, &gap) || !GetVarint(stream, &i, &len)) return false;
    if (gap == 0 || len == 0 || len > (stream.size() - i) / 2) return false;
    i += size_t{len} * 2;
  }
  return true;
}

bool StreamHasPhrase(std::string_view stream, const PhraseHashes& slots) {
  if (slots.size() < 2) return false;  // a phrase has two positions or more
  const size_t n = slots.size();
  size_t i = 0;
  while (i < stream.size()) {
    uint32_t gap = 0, len = 0;
    if (!GetVarint(stream, &i, &gap) || !GetVarint(stream, &i, &len)) return false;
    if (len > (stream.size() - i) / 2) return false;
    const char* run = stream.data() + i;
    i += size_t{len} * 2;
    if (len >= n && RunHasPhrase(run, len, slots)) return true;
  }
  return false;
}

}  // namespace tongwen
