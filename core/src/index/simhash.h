// Internal: 64-bit SimHash over a stream of features (Charikar 2002), used
// to detect near-duplicate articles (the same wire story, re-posts).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "util/fnv.h"

namespace tongwen {

namespace simhash_detail {
constexpr std::array<uint64_t, 256> MakeSpread() {
  std::array<uint64_t, 256> a{};
  for (int b = 0; b < 256; ++b)
    for (int k = 0; k < 8; ++k)
      if (b >> k & 1) a[b] |= uint64_t{1} << (8 * k);
  return a;
}
inline constexpr std::array<uint64_t, 256> kSpread = MakeSpread();
}  // namespace simhash_detail

class SimHasher {
 public:
  // Each distinct feature must be added once (the caller sees to it):
  // frequent words would otherwise pull every article's hash towards the
  // same bits.
  void Add(std::string_view feature) {
    // Counts the set bits of each position, eight positions per 64-bit word
    // (one byte each): 8 additions per feature instead of 64. The byte
    // counters are flushed before they can overflow.
    const uint64_t h = Fnv1a(feature);
    for (int g = 0; g < 8; ++g) lanes_[g] += Spread((h >> (8 * g)) & 0xFF);
    if (++pending_ == 255) Flush();
    ++n_;
  }
  uint64_t Finish() {
    Flush();
    uint64_t out = 0;
    // Bit i is set if more than half of the features have it set.
    for (int i = 0; i < 64; ++i)
      if (2 * ones_[i] > n_) out |= uint64_t{1} << i;
    return out;
  }
  uint64_t count() const { return n_; }
  static uint64_t Fnv1a(std::string_view s) {
    // (Its basis is not FNV's, one digit short; kept, since the hashes are
    // stored in databases.)
    uint64_t h = Fnv1a64(s, 1469598103934665603ull);
    // Final avalanche so that similar strings spread over all bits.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }

 private:
  // The 8 bits of b, one per byte (bit k -> byte k).
  static uint64_t Spread(uint64_t b) { return simhash_detail::kSpread[b]; }
  void Flush() {
    for (int g = 0; g < 8; ++g) {
      for (int k = 0; k < 8; ++k) ones_[8 * g + k] += (lanes_[g] >> (8 * k)) & 0xFF;
      lanes_[g] = 0;
    }
    pending_ = 0;
  }

  std::array<uint64_t, 8> lanes_{};
  std::array<uint64_t, 64> ones_{};
  uint64_t pending_ = 0, n_ = 0;
};

}  // namespace tongwen
