// Internal: the match decider that checks a search's top-level phrases
// after the match (PhraseCheck, query/phrase_query.h).
#pragma once

#include <utility>
#include <vector>

#include <xapian.h>

#include "query/phrase_query.h"

namespace tongwen {

class PhraseDecider : public Xapian::MatchDecider {
 public:
  explicit PhraseDecider(std::vector<PhraseCheck> checks) : checks_(std::move(checks)) {}
  bool operator()(const Xapian::Document& doc) const override;
  // Documents accepted so far (it serves one match at a time; tests).
  Xapian::doccount accepted() const { return accepted_; }

 private:
  std::vector<PhraseCheck> checks_;
  mutable Xapian::doccount accepted_ = 0;
};

}  // namespace tongwen
