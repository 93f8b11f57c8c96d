// Reads the fields a search hit shows from an article's stored JSON (the
// document data: the input object as the indexer re-serialised it) without
// building a JSON tree. A hit reads ten of these per search, each a few KB of
// article text; a tree parse spent its time checking and copying every byte
// into nodes that were thrown away. This reader finds
// the string ends with memchr and copies each needed string once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tongwen {

struct StoredVersionText {
  std::string tag, title, body;  // title/body empty if absent or not a string
};

struct StoredHitFields {
  std::string id, published, source, section, url, original_language;  // empty if absent/not a string
  // One entry per tag with a string title or body: the tags of "title" in
  // their order, then those only in "body".
  std::vector<StoredVersionText> versions;
};

// Reads `json`, which must be one JSON object (any other members are
// skipped). Returns false, leaving `out` unspecified, if it is not valid JSON
// of that shape.
bool ReadStoredHitFields(std::string_view json, StoredHitFields* out);

}  // namespace tongwen
