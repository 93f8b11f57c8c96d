// Internal: 64-bit SimHash over a stream of features (Charikar 2002), used
// to detect near-duplicate articles (the same wire story, re-posts).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_set>

namespace tongwen {

class SimHasher {
 public:
  // Each distinct feature counts once: frequent words would otherwise pull
  // every article's hash towards the same bits.
  void Add(std::string_view feature) {
    uint64_t h = Fnv1a(feature);
    if (!seen_.insert(h).second) return;
    for (int i = 0; i < 64; ++i) acc_[i] += (h >> i) & 1 ? 1 : -1;
    ++n_;
  }
  uint64_t Finish() const {
    uint64_t out = 0;
    for (int i = 0; i < 64; ++i)
      if (acc_[i] > 0) out |= uint64_t{1} << i;
    return out;
  }
  uint64_t count() const { return n_; }
  static uint64_t Fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    // Final avalanche so that similar strings spread over all bits.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }

 private:
  std::array<int32_t, 64> acc_{};
  std::unordered_set<uint64_t> seen_;
  uint64_t n_ = 0;
};

}  // namespace tongwen
