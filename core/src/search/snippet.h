// Internal: snippets with highlighted matches, cut from the original text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "tongwen/analysis.h"

namespace tongwen {

// Returns an HTML-escaped excerpt of `text` of about `max_chars` characters,
// centred on the window with the most distinct matched terms, with
// <mark>...</mark> around every token whose index term is in `terms`.
// `*matched` (optional) is set if anything was highlighted.
struct SnippetOptions {
  // Let TokenPrefilter find the matches where it can tell, and analyse
  // only around the places where it cannot (the snippet is the same either
  // way; tests compare the two).
  bool prefilter = true;
};
std::string MakeSnippet(const Analyzer& an, std::string_view text,
                        const std::unordered_set<std::string>& terms, size_t max_chars,
                        bool* matched = nullptr, const SnippetOptions& opt = {});

// MakeSnippet for many texts and one set of terms (a search's hits): what
// the terms give (their sieve, stem keys, prefilter) is prepared once.
// REQUIRES: `an` and `terms` outlive it.
class Snippeter {
 public:
  Snippeter(const Analyzer& an, const std::unordered_set<std::string>& terms);
  ~Snippeter();
  std::string Make(std::string_view text, size_t max_chars, bool* matched = nullptr,
                   const SnippetOptions& opt = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// HTML-escapes & < > " '.
void AppendHtmlEscaped(std::string_view s, std::string* out);

}  // namespace tongwen
