#include "search/phrase_decider.h"

namespace tongwen {

bool PhraseDecider::operator()(const Xapian::Document& doc) const {
  for (const PhraseCheck& c : checks_) {
    if (c.hashes.size() < 2) continue;  // one word: no order to check
    if (c.store) {
      if (!StreamHasPhrase(c.store->Get(c.slot, doc.get_docid()), c.hashes)) return false;
    } else if (!StreamHasPhrase(doc.get_value(c.slot), c.hashes)) {
      return false;
    }
  }
  ++accepted_;
  return true;
}

}  // namespace tongwen
