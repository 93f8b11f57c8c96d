// FNV-1a, 64 bits: a stable hash of bytes, the same in every build (unlike
// std::hash), for values written to a database.
#pragma once

#include <cstdint>
#include <string_view>

namespace tongwen {

// FNV-1a's offset basis.
inline constexpr uint64_t kFnv1a64Basis = 14695981039346656037ull;

// Folds the bytes of `s` into `h`, which starts at a basis; chained calls
// hash the concatenation.
inline uint64_t Fnv1a64(std::string_view s, uint64_t h = kFnv1a64Basis) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace tongwen
