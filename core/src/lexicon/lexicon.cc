// CC-CEDICT -> compact binary lexicon.
//
// File layout (integers little-endian, uint32 but for the uint64 checksum;
// sections 4-byte aligned):
//   header    kMagic ("TWLEX" and the format version), the section offsets
//             and counts, the longest headword, the file's length and its
//             checksum (struct Header)
//   pool      UTF-8 strings referenced by (offset, length)
//   entries   sorted by folded headword: {hw, pinyin, gloss_begin, gloss_count}
//   glosses   {str} cleaned English glosses, in sense order
//   chars     sorted by code point: {cp, pinyin syllable}
//   keys      sorted English keys (stems joined by ' '): {str, post_begin, post_count}
//   postings  {entry, score*1000}
#include "tongwen/lexicon.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <unicode/utf8.h>

#include "util/line_reader.h"

#include "tongwen/analysis.h"

namespace tongwen {
namespace {

constexpr char kMagic[8] = {'T', 'W', 'L', 'E', 'X', '0', '0', '3'};

struct Str {
  uint32_t off, len;
};
struct EntryRec {
  Str hw, py;
  uint32_t gloss_begin, gloss_count;
};
struct CharRec {
  uint32_t cp;
  Str py;
};
struct KeyRec {
  Str key;
  uint32_t post_begin, post_count;
};
struct PostRec {
  uint32_t entry, score;  // score in thousandths
};
struct Header {
  char magic[8];
  uint32_t pool_off, pool_len;
  uint32_t entries_off, entries_n;
  uint32_t glosses_off, glosses_n;
  uint32_t chars_off, chars_n;
  uint32_t keys_off, keys_n;
  uint32_t posts_off, posts_n;
  uint32_t max_word_chars;
  uint32_t file_len;
  uint64_t checksum;  // FNV-1a 64 of the whole file with this field zeroed
};

uint64_t Checksum(const char* data, size_t len) {
  uint64_t h = 1469598103934665603ull;
  const size_t skip_from = offsetof(Header, checksum), skip_to = skip_from + sizeof(uint64_t);
  for (size_t i = 0; i < len; ++i) {
    const unsigned char c = i >= skip_from && i < skip_to ? 0 : static_cast<unsigned char>(data[i]);
    h = (h ^ c) * 1099511628211ull;
  }
  return h;
}

// ---- parsing CC-CEDICT ------------------------------------------------------

struct RawEntry {
  std::string trad, simp, pinyin;
  std::vector<std::string> glosses;
};

bool ParseCedictLine(const std::string& line, RawEntry* e) {
  if (line.empty() || line[0] == '#') return false;
  size_t sp1 = line.find(' ');
  if (sp1 == std::string::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) return false;
  size_t lb = line.find('[', sp2), rb = line.find(']', sp2);
  if (lb == std::string::npos || rb == std::string::npos || rb < lb) return false;
  size_t sl = line.find('/', rb);
  if (sl == std::string::npos) return false;
  e->trad = line.substr(0, sp1);
  e->simp = line.substr(sp1 + 1, sp2 - sp1 - 1);
  e->pinyin = line.substr(lb + 1, rb - lb - 1);
  e->glosses.clear();
  size_t p = sl + 1;
  while (p < line.size()) {
    size_t q = line.find('/', p);
    if (q == std::string::npos) break;
    if (q > p) e->glosses.push_back(line.substr(p, q - p));
    p = q + 1;
  }
  return !e->glosses.empty();
}

std::string Trim(std::string s) {
  size_t a = s.find_first_not_of(" ,;.");
  size_t b = s.find_last_not_of(" ,;.");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

bool StartsWith(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

}  // namespace

// Cleans one CEDICT gloss for use as a translation: drops parenthetical
// notes, classifier lists and cross-reference glosses, splits "a; b" into
// senses and keeps the head of "Name, description". Empty = not usable.
std::vector<std::string> CleanGloss(const std::string& g) {
  std::vector<std::string> out;
  if (StartsWith(g, "CL:") || StartsWith(g, "see ") || StartsWith(g, "variant of") ||
      StartsWith(g, "old variant") || StartsWith(g, "abbr. for") || StartsWith(g, "Japanese variant") ||
      StartsWith(g, "used in ") || StartsWith(g, "erhua variant") || StartsWith(g, "archaic variant") ||
      StartsWith(g, "surname ") || StartsWith(g, "Taiwan pr.") || StartsWith(g, "also pr.") ||
      StartsWith(g, "pr. ") || StartsWith(g, "(archaic)") || StartsWith(g, "(onom.)") ||
      StartsWith(g, "(old)") || StartsWith(g, "(classical)") || StartsWith(g, "(literary)"))
    return out;
  // Senses marked as old, archaic or literary are not modern translations
  // ("grain/harvest (old)" under 年 must not make 年 mean "harvest").
  for (const char* mark : {"(old)", "(archaic)", "(literary)", "(classical)", "(Classical)", "(obsolete)"})
    if (g.find(mark) != std::string::npos) return out;
  std::string flat, paren;
  std::vector<std::string> acronyms;  // "(TSMC)": the name as the news writes it
  int depth = 0;
  for (char c : g) {
    if (c == '(' || c == '[') {
      if (depth++ == 0) paren.clear();
    } else if ((c == ')' || c == ']') && depth > 0) {
      if (--depth == 0 && paren.size() >= 2 && paren.size() <= 6 &&
          std::all_of(paren.begin(), paren.end(), [](char x) { return x >= 'A' && x <= 'Z'; }))
        acronyms.push_back(paren);
    } else if (depth == 0) {
      flat.push_back(c);
    } else {
      paren.push_back(c);
    }
  }
  // Removing "(ingredients)" from "mix (ingredients) together" leaves two spaces.
  for (size_t p; (p = flat.find("  ")) != std::string::npos;) flat.erase(p, 1);
  if (flat.find('|') != std::string::npos) return out;
  for (char32_t cp : DecodeUtf8(flat))
    if (IsHanCodePoint(cp)) return out;  // glosses quoting Han text
  size_t p = 0;
  while (p <= flat.size()) {
    size_t q = flat.find(';', p);
    if (q == std::string::npos) q = flat.size();
    std::string part = flat.substr(p, q - p);
    size_t comma = part.find(", ");
    if (comma != std::string::npos) part = part.substr(0, comma);
    part = Trim(part);
    if (StartsWith(part, "to ")) part = part.substr(3);
    if (StartsWith(part, "a ")) part = part.substr(2);
    if (StartsWith(part, "the ")) part = part.substr(4);
    part = Trim(part);
    if (!part.empty() && std::find(out.begin(), out.end(), part) == out.end()) out.push_back(part);
    p = q + 1;
  }
  for (std::string& a : acronyms)
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
  return out;
}

namespace {

std::string FoldHeadword(const std::string& hw) {
  NormalizedText nt;
  CharNormalizer::Normalize(hw, &nt);
  return nt.text;
}

// "Cai4 Ying1 wen2" -> {"cai","ying","wen"}; "lu:4" -> "lv".
std::vector<std::string> Syllables(const std::string& py) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (cur.empty()) return;
    while (!cur.empty() && cur.back() >= '0' && cur.back() <= '9') cur.pop_back();
    std::string s;
    for (size_t i = 0; i < cur.size(); ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(cur[i])));
      if (c == 'u' && i + 1 < cur.size() && cur[i + 1] == ':') {
        s.push_back('v');
        ++i;
      } else {
        s.push_back(c);
      }
    }
    out.push_back(s);
    cur.clear();
  };
  for (char c : py) {
    if (c == ' ')
      flush();
    else
      cur.push_back(c);
  }
  flush();
  return out;
}

std::vector<std::string> GlossStems(const std::string& gloss) {
  static const Analyzer an(nullptr);
  AnalyzeOptions opt;
  opt.drop_stopwords = true;
  std::vector<std::string> stems;
  an.Analyze(gloss, opt, [&](const Token& t) {
    if (t.script == Script::kLatin) stems.push_back(t.text);
  });
  return stems;
}

class Builder {
 public:
  void Add(const RawEntry& e) {
    std::string ft = FoldHeadword(e.trad), fs = FoldHeadword(e.simp);
    for (const std::string& key : {fs, ft}) {
      if (key.empty()) continue;
      Merged& m = merged_[key];
      if (m.pinyin.empty()) m.pinyin = e.pinyin;
      for (const std::string& g : e.glosses)
        for (std::string& c : CleanGloss(g))
          if (std::find(m.glosses.begin(), m.glosses.end(), c) == m.glosses.end())
            m.glosses.push_back(std::move(c));
      if (ft == fs) break;
    }
    // Character readings, counted over every word the character appears in.
    std::u32string chars = DecodeUtf8(fs);
    std::vector<std::string> syl = Syllables(e.pinyin);
    if (syl.size() == chars.size())
      for (size_t i = 0; i < chars.size(); ++i)
        if (IsHanCodePoint(chars[i])) ++readings_[chars[i]][syl[i]];
    std::u32string tchars = DecodeUtf8(ft);
    if (syl.size() == tchars.size())
      for (size_t i = 0; i < tchars.size(); ++i)
        if (IsHanCodePoint(tchars[i]) && tchars[i] != chars[i]) ++readings_[tchars[i]][syl[i]];
  }

  std::string Serialize() {
    std::string pool;
    std::unordered_map<std::string, Str> interned;
    auto intern = [&](const std::string& s) -> Str {
      auto it = interned.find(s);
      if (it != interned.end()) return it->second;
      Str r{static_cast<uint32_t>(pool.size()), static_cast<uint32_t>(s.size())};
      pool += s;
      interned.emplace(s, r);
      return r;
    };
    std::vector<EntryRec> entries;
    std::vector<Str> glosses;
    std::map<std::string, std::vector<PostRec>> keys;
    uint32_t max_chars = 1;
    for (auto& [hw, m] : merged_) {  // std::map: sorted by headword bytes
      if (m.glosses.empty()) continue;
      const uint32_t idx = static_cast<uint32_t>(entries.size());
      EntryRec r{intern(hw), intern(m.pinyin), static_cast<uint32_t>(glosses.size()),
                 static_cast<uint32_t>(m.glosses.size())};
      for (const std::string& g : m.glosses) glosses.push_back(intern(g));
      entries.push_back(r);
      max_chars = std::max<uint32_t>(max_chars, static_cast<uint32_t>(DecodeUtf8(hw).size()));
      // Reverse index: a gloss of up to 4 content words is a key for this
      // headword. Score: earlier senses and shorter glosses rank higher.
      for (size_t gi = 0; gi < m.glosses.size(); ++gi) {
        std::vector<std::string> stems = GlossStems(m.glosses[gi]);
        if (stems.empty() || stems.size() > 4) continue;
        std::string key;
        for (const std::string& s : stems) key += (key.empty() ? "" : " ") + s;
        float score = 1.0f / (1.0f + 0.25f * static_cast<float>(gi));
        score *= 1.0f / (1.0f + 0.1f * static_cast<float>(m.glosses.size() - 1));
        auto& v = keys[key];
        bool dup = false;
        for (PostRec& p : v)
          if (p.entry == idx) {
            p.score = std::max(p.score, static_cast<uint32_t>(score * 1000));
            dup = true;
          }
        if (!dup) v.push_back(PostRec{idx, static_cast<uint32_t>(score * 1000)});
        // Names: each word of a short proper-noun gloss ("Donald Trump") is
        // a secondary key ("~trump"), used only when a word has no direct
        // translation in the index.
        const bool proper = !m.pinyin.empty() && m.pinyin[0] >= 'A' && m.pinyin[0] <= 'Z';
        if (proper && stems.size() >= 2 && stems.size() <= 3) {
          for (const std::string& st : stems) {
            if (st.size() < 3) continue;
            auto& pv = keys["~" + st];
            const uint32_t ps = static_cast<uint32_t>(score * 1000 / stems.size());
            if (std::none_of(pv.begin(), pv.end(), [&](const PostRec& p) { return p.entry == idx; }))
              pv.push_back(PostRec{idx, ps});
          }
        }
      }
    }
    std::vector<CharRec> chars;
    for (auto& [cp, counts] : readings_) {
      const std::string* best = nullptr;
      int n = -1;
      for (auto& [s, c] : counts)
        if (c > n) {
          n = c;
          best = &s;
        }
      if (best) chars.push_back(CharRec{static_cast<uint32_t>(cp), intern(*best)});
    }
    std::sort(chars.begin(), chars.end(), [](const CharRec& a, const CharRec& b) { return a.cp < b.cp; });
    std::vector<KeyRec> keyrecs;
    std::vector<PostRec> posts;
    for (auto& [k, v] : keys) {
      std::sort(v.begin(), v.end(), [](const PostRec& a, const PostRec& b) { return a.score > b.score; });
      keyrecs.push_back(
          KeyRec{intern(k), static_cast<uint32_t>(posts.size()), static_cast<uint32_t>(v.size())});
      posts.insert(posts.end(), v.begin(), v.end());
    }
    Header h{};
    std::memcpy(h.magic, kMagic, 8);
    std::string out(sizeof(Header), '\0');
    auto section = [&](const void* data, size_t bytes, uint32_t* off) {
      while (out.size() % 4) out.push_back('\0');
      *off = static_cast<uint32_t>(out.size());
      out.append(static_cast<const char*>(data), bytes);
    };
    section(pool.data(), pool.size(), &h.pool_off);
    h.pool_len = static_cast<uint32_t>(pool.size());
    section(entries.data(), entries.size() * sizeof(EntryRec), &h.entries_off);
    h.entries_n = static_cast<uint32_t>(entries.size());
    section(glosses.data(), glosses.size() * sizeof(Str), &h.glosses_off);
    h.glosses_n = static_cast<uint32_t>(glosses.size());
    section(chars.data(), chars.size() * sizeof(CharRec), &h.chars_off);
    h.chars_n = static_cast<uint32_t>(chars.size());
    section(keyrecs.data(), keyrecs.size() * sizeof(KeyRec), &h.keys_off);
    h.keys_n = static_cast<uint32_t>(keyrecs.size());
    section(posts.data(), posts.size() * sizeof(PostRec), &h.posts_off);
    h.posts_n = static_cast<uint32_t>(posts.size());
    h.max_word_chars = max_chars;
    h.file_len = static_cast<uint32_t>(out.size());
    h.checksum = 0;
    std::memcpy(out.data(), &h, sizeof h);
    h.checksum = Checksum(out.data(), out.size());
    std::memcpy(out.data(), &h, sizeof h);
    return out;
  }

 private:
  struct Merged {
    std::string pinyin;
    std::vector<std::string> glosses;
  };
  std::map<std::string, Merged> merged_;
  std::unordered_map<char32_t, std::map<std::string, int>> readings_;
};

Result<std::string> CompileToBytes(const std::string& path) {
  LineReader r;
  Status s = r.Open(path);
  if (!s.ok()) return s;
  Builder b;
  std::string line;
  bool too_long;
  size_t n = 0, bad = 0;
  RawEntry e;
  while (r.Next(&line, 1 << 16, &too_long)) {
    if (!too_long && (line.empty() || line[0] == '#')) continue;
    if (too_long || !ParseCedictLine(line, &e)) {
      ++bad;
      continue;
    }
    b.Add(e);
    ++n;
  }
  if (!r.status().ok()) return r.status();
  if (n == 0 || bad > n)
    return Status::Corruption(path + ": not a CC-CEDICT file (" + std::to_string(n) + " entries, " +
                              std::to_string(bad) + " unreadable lines)");
  return b.Serialize();
}

}  // namespace

namespace {

// A set's Bloom filter: MayContain is false for every key not in the set
// but a few percent (two bits per key in 16 bits per key: ~1.5%).
class BloomFilter {
 public:
  void Build(const std::unordered_set<std::string_view>& keys) {
    uint64_t bits = 1024;
    while (bits < keys.size() * 16) bits *= 2;
    mask_ = bits - 1;
    words_.assign(bits / 64, 0);
    for (std::string_view k : keys) {
      const auto [a, b] = Bits(k);
      words_[a / 64] |= uint64_t{1} << (a % 64);
      words_[b / 64] |= uint64_t{1} << (b % 64);
    }
  }
  bool MayContain(std::string_view k) const {
    if (words_.empty()) return false;
    const auto [a, b] = Bits(k);
    return (words_[a / 64] >> (a % 64) & 1) && (words_[b / 64] >> (b % 64) & 1);
  }

 private:
  // Two bit positions from one hash: its low bits, and a remix of it.
  std::pair<uint64_t, uint64_t> Bits(std::string_view k) const {
    const uint64_t h = std::hash<std::string_view>{}(k);
    return {h & mask_, (((h >> 32) | (h << 32)) * 0x9E3779B97F4A7C15ull >> 7) & mask_};
  }
  std::vector<uint64_t> words_;  // empty until built: contains nothing
  uint64_t mask_ = 0;
};

}  // namespace

struct Lexicon::Impl {
  std::unordered_set<std::string_view> syllables;  // all readings in `chars`
  // Headword -> entry index: the analyzer asks Contains() for every Han word
  // it indexes, so this is a hash lookup rather than a binary search.
  std::unordered_map<std::string_view, uint32_t> by_headword;
  // A bit per hash of the first two characters of every headword: a
  // filter (128 KB, ~5% false positives) that answers "no headword starts
  // with these two characters" without a lookup in the large map.
  static constexpr uint64_t kPrefixBits = uint64_t{1} << 20;
  std::vector<uint64_t> prefix_bits;
  // The keys of two to four words (stems joined by spaces), and their first
  // words: the multi-word glosses the indexer marks in English text.
  std::unordered_set<std::string_view> gloss_phrases, gloss_phrase_starts;
  // Bloom filters of the two sets (two bits per key, 16 bits per key): the
  // indexer asks about every English stem and every run of stems whose
  // first may start a gloss, and nearly all are not. The sets' buckets and
  // nodes missed the cache on each of those questions; two bits of a filter
  // of a few hundred KB mostly do not.
  BloomFilter gloss_phrase_filter, gloss_start_filter;
  std::string owned;    // when loaded into memory
  void* map = nullptr;  // when memory-mapped
  size_t map_len = 0;
  const char* base = nullptr;
  Header h{};
  const EntryRec* entries = nullptr;
  const Str* glosses = nullptr;
  const CharRec* chars = nullptr;
  const KeyRec* keys = nullptr;
  const PostRec* posts = nullptr;

  ~Impl() {
    if (map) munmap(map, map_len);
  }
  std::string_view S(Str s) const { return std::string_view(base + h.pool_off + s.off, s.len); }

  Status Init(const char* data, size_t len, const std::string& where) {
    base = data;
    if (len >= 8 && std::memcmp(data, kMagic, 5) == 0 && std::memcmp(data, kMagic, 8) != 0)
      return Status::Corruption(where +
                                ": compiled by another version of Tongwen; recompile it with "
                                "`indexer compile-dictionary`");
    if (len < sizeof(Header) || std::memcmp(data, kMagic, 8) != 0)
      return Status::Corruption(where + ": not a compiled Tongwen lexicon");
    std::memcpy(&h, data, sizeof h);
    if (h.file_len != len || h.checksum != Checksum(data, len))
      return Status::Corruption(where + ": lexicon checksum mismatch (damaged or truncated file)");
    if (h.max_word_chars == 0 || h.max_word_chars > 64)
      return Status::Corruption(where + ": bad lexicon header");
    auto fits = [&](uint32_t off, uint64_t n, size_t rec) {
      return off % 4 == 0 && uint64_t{off} + n * rec <= len;
    };
    if (h.file_len != len || !fits(h.pool_off, h.pool_len, 1) ||
        !fits(h.entries_off, h.entries_n, sizeof(EntryRec)) ||
        !fits(h.glosses_off, h.glosses_n, sizeof(Str)) || !fits(h.chars_off, h.chars_n, sizeof(CharRec)) ||
        !fits(h.keys_off, h.keys_n, sizeof(KeyRec)) || !fits(h.posts_off, h.posts_n, sizeof(PostRec)))
      return Status::Corruption(where + ": truncated or corrupt lexicon");
    entries = reinterpret_cast<const EntryRec*>(data + h.entries_off);
    glosses = reinterpret_cast<const Str*>(data + h.glosses_off);
    chars = reinterpret_cast<const CharRec*>(data + h.chars_off);
    keys = reinterpret_cast<const KeyRec*>(data + h.keys_off);
    posts = reinterpret_cast<const PostRec*>(data + h.posts_off);
    // Validate every reference once, so lookups need no checks.
    auto ok_str = [&](Str s) { return uint64_t{s.off} + s.len <= h.pool_len; };
    for (uint32_t i = 0; i < h.entries_n; ++i) {
      const EntryRec& e = entries[i];
      if (!ok_str(e.hw) || !ok_str(e.py) || uint64_t{e.gloss_begin} + e.gloss_count > h.glosses_n)
        return Status::Corruption(where + ": bad entry " + std::to_string(i));
    }
    for (uint32_t i = 0; i < h.glosses_n; ++i)
      if (!ok_str(glosses[i])) return Status::Corruption(where + ": bad gloss");
    for (uint32_t i = 0; i < h.chars_n; ++i)
      if (!ok_str(chars[i].py)) return Status::Corruption(where + ": bad reading");
    for (uint32_t i = 0; i < h.keys_n; ++i)
      if (!ok_str(keys[i].key) || uint64_t{keys[i].post_begin} + keys[i].post_count > h.posts_n)
        return Status::Corruption(where + ": bad key");
    for (uint32_t i = 0; i < h.posts_n; ++i)
      if (posts[i].entry >= h.entries_n) return Status::Corruption(where + ": bad posting");
    for (uint32_t i = 0; i < h.chars_n; ++i) syllables.insert(S(chars[i].py));
    for (uint32_t i = 0; i < h.keys_n; ++i) {
      const std::string_view k = S(keys[i].key);
      const size_t space = k.find(' ');
      if (k.empty() || k[0] == '~' || space == std::string_view::npos) continue;
      gloss_phrases.insert(k);
      gloss_phrase_starts.insert(k.substr(0, space));
    }
    gloss_phrase_filter.Build(gloss_phrases);
    gloss_start_filter.Build(gloss_phrase_starts);
    by_headword.reserve(h.entries_n);
    prefix_bits.assign(kPrefixBits / 64, 0);
    for (uint32_t i = 0; i < h.entries_n; ++i) {
      const std::string_view hw = S(entries[i].hw);
      by_headword.emplace(hw, i);
      const std::string_view two = FirstTwoChars(hw);
      if (!two.empty()) {
        const uint64_t b = PrefixBit(two);
        prefix_bits[b / 64] |= uint64_t{1} << (b % 64);
      }
    }
    return Status::Ok();
  }
  // The first two code points of `w` (empty if it has fewer).
  static std::string_view FirstTwoChars(std::string_view w) {
    const auto* p = reinterpret_cast<const uint8_t*>(w.data());
    const auto n = static_cast<int32_t>(w.size());
    int32_t i = 0;
    for (int k = 0; k < 2; ++k) {
      if (i >= n) return {};
      U8_FWD_1(p, i, n);
    }
    return w.substr(0, static_cast<size_t>(i));
  }
  static uint64_t PrefixBit(std::string_view two) { return std::hash<std::string_view>{}(two) % kPrefixBits; }

  const EntryRec* Find(std::string_view w) const {
    auto it = by_headword.find(w);
    return it == by_headword.end() ? nullptr : entries + it->second;
  }
  const KeyRec* FindKey(std::string_view k) const {
    const KeyRec* end = keys + h.keys_n;
    const KeyRec* it =
        std::lower_bound(keys, end, k, [&](const KeyRec& e, std::string_view x) { return S(e.key) < x; });
    return it != end && S(it->key) == k ? it : nullptr;
  }
};

Lexicon::Lexicon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Lexicon::~Lexicon() = default;

Status Lexicon::Compile(const std::string& cedict_path, const std::string& out_path) {
  Result<std::string> bytes = CompileToBytes(cedict_path);
  if (!bytes.ok()) return bytes.status();
  std::string tmp = out_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!out) return Status::IOError(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), out_path.c_str()) != 0)
    return Status::IOError(out_path + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<std::unique_ptr<Lexicon>> Lexicon::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return Status::Corruption(path + ": empty lexicon file");
  }
  auto impl = std::make_unique<Impl>();
  impl->map_len = static_cast<size_t>(st.st_size);
  impl->map = mmap(nullptr, impl->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (impl->map == MAP_FAILED) {
    impl->map = nullptr;
    return Status::IOError(path + ": mmap: " + std::strerror(errno));
  }
  Status s = impl->Init(static_cast<const char*>(impl->map), impl->map_len, path);
  if (!s.ok()) return s;
  return std::unique_ptr<Lexicon>(new Lexicon(std::move(impl)));
}

Result<std::unique_ptr<Lexicon>> Lexicon::Load(const std::string& path) {
  char magic[8] = {};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError(path + ": cannot open");
    in.read(magic, 8);
  }
  if (std::memcmp(magic, kMagic, 8) == 0) return Open(path);
  if (std::memcmp(magic, kMagic, 5) == 0)  // "TWLEX" of another format version
    return Status::Corruption(path + ": compiled by another version of Tongwen (" + std::string(magic, 8) +
                              ", this one reads " + std::string(kMagic, 8) +
                              "); recompile it with `indexer compile-dictionary`");
  Result<std::string> bytes = CompileToBytes(path);
  if (!bytes.ok()) return bytes.status();
  auto impl = std::make_unique<Impl>();
  impl->owned = std::move(bytes).value();
  Status s = impl->Init(impl->owned.data(), impl->owned.size(), path);
  if (!s.ok()) return s;
  return std::unique_ptr<Lexicon>(new Lexicon(std::move(impl)));
}

size_t Lexicon::size() const { return impl_->h.entries_n; }
bool Lexicon::Contains(std::string_view w) const { return impl_->Find(w) != nullptr; }
bool Lexicon::IsGlossPhrase(std::string_view stems) const {
  return impl_->gloss_phrase_filter.MayContain(stems) && impl_->gloss_phrases.count(stems) > 0;
}
bool Lexicon::MayStartGlossPhrase(std::string_view stem) const {
  return impl_->gloss_start_filter.MayContain(stem) && impl_->gloss_phrase_starts.count(stem) > 0;
}
bool Lexicon::MayStartWord(std::string_view two_chars) const {
  const uint64_t b = Impl::PrefixBit(two_chars);
  return (impl_->prefix_bits[b / 64] >> (b % 64)) & 1;
}
unsigned Lexicon::max_word_chars() const { return impl_->h.max_word_chars; }

bool Lexicon::Lookup(std::string_view w, LexEntry* out) const {
  const EntryRec* e = impl_->Find(w);
  if (!e) return false;
  out->headword = impl_->S(e->hw);
  out->pinyin = impl_->S(e->py);
  out->glosses.clear();
  for (uint32_t i = 0; i < e->gloss_count; ++i)
    out->glosses.push_back(impl_->S(impl_->glosses[e->gloss_begin + i]));
  return true;
}

std::string_view Lexicon::CharPinyin(char32_t cp) const {
  const CharRec* end = impl_->chars + impl_->h.chars_n;
  const CharRec* it = std::lower_bound(impl_->chars, end, static_cast<uint32_t>(cp),
                                       [](const CharRec& r, uint32_t c) { return r.cp < c; });
  return it != end && it->cp == cp ? impl_->S(it->py) : std::string_view();
}

bool Lexicon::IsSyllable(std::string_view s) const { return impl_->syllables.count(s) > 0; }

std::vector<std::string> Lexicon::RomanisedSyllables(std::string_view word) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (out.size() < 4 && IsSyllable(s) && std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(s);
  };
  std::string w(word);
  if (w.empty() || w.size() > 7) return out;
  for (char c : w)
    if (c < 'a' || c > 'z') return out;
  add(w);
  // Wade-Giles initials (aspiration marks are usually dropped in names, so
  // ch/ts/k/p/t are ambiguous) and the pinyin initials they stand for.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kInitials = {
      {"hs", {"x"}},     {"tz", {"z", "c"}}, {"ts", {"c", "z"}}, {"ch", {"zh", "j", "q", "ch"}},
      {"ss", {"s"}},     {"sz", {"s"}},      {"sh", {"sh"}},     {"k", {"g", "k"}},
      {"p", {"b", "p"}}, {"t", {"d", "t"}},  {"j", {"r"}},       {"", {""}}};
  // Finals: Wade-Giles spelling -> pinyin spellings.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kFinals = {
      {"ih", {"i"}},     {"ieh", {"ie"}}, {"ien", {"ian"}}, {"iung", {"iong"}},
      {"ung", {"ong"}},  {"uei", {"ui"}}, {"ueh", {"ue"}},  {"o", {"e", "o", "uo"}},
      {"u", {"u", "i"}}, {"ei", {"ei"}},  {"ee", {"i"}}};
  // Zero-initial Taiwanese spellings: ing -> ying, ih -> yi, yu -> you.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kWhole = {
      {"ing", {"ying"}},     {"in", {"yin"}},
      {"i", {"yi"}},         {"ih", {"yi"}},
      {"yu", {"yu", "you"}}, {"yung", {"yong"}},
      {"wei", {"wei"}},      {"lee", {"li"}},
      {"hsu", {"xu"}},       {"chu", {"zhu", "ju", "qu", "chu"}}};
  for (const auto& [from, tos] : kWhole)
    if (w == from)
      for (const std::string& t : tos) add(t);
  for (const auto& [ini, pys] : kInitials) {
    if (w.compare(0, ini.size(), ini) != 0) continue;
    const std::string rest = w.substr(ini.size());
    std::vector<std::string> finals{rest};
    for (const auto& [f, tos] : kFinals)
      if (rest.size() >= f.size() && rest.compare(rest.size() - f.size(), f.size(), f) == 0)
        for (const std::string& t : tos) finals.push_back(rest.substr(0, rest.size() - f.size()) + t);
    for (const std::string& p : pys)
      for (const std::string& f : finals) add(p + f);
    if (!ini.empty()) break;  // the longest matching initial only
  }
  return out;
}

std::vector<LexCandidate> Lexicon::EnglishToChinese(const std::vector<std::string>& stems, size_t max,
                                                    Match match) const {
  std::vector<LexCandidate> out;
  std::string key = match == Match::kNamePart ? "~" : "";
  for (size_t i = 0; i < stems.size(); ++i) key += (i ? " " : "") + stems[i];
  const KeyRec* k = impl_->FindKey(key);
  // Derived forms: "macedonian" -> "macedonia", "japanes" -> "japan": the
  // longest key that is a prefix of a single word, at most 3 bytes shorter.
  if (!k && match == Match::kPrefix && stems.size() == 1 && key.size() >= 6) {
    for (size_t len = key.size() - 1; len + 3 >= key.size() && len >= 5 && !k; --len)
      k = impl_->FindKey(std::string_view(key).substr(0, len));
  }
  if (!k) return out;
  for (uint32_t i = 0; i < k->post_count && out.size() < max; ++i) {
    const PostRec& p = impl_->posts[k->post_begin + i];
    out.push_back(LexCandidate{impl_->S(impl_->entries[p.entry].hw), static_cast<float>(p.score) / 1000.0f});
  }
  return out;
}

}  // namespace tongwen
