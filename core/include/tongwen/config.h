// Locating the compiled dictionary shared by indexer and searchd.
#pragma once

#include <memory>
#include <string>

#include "tongwen/lexicon.h"
#include "tongwen/status.h"

namespace tongwen {

// The default dictionary path: $TONGWEN_DICTIONARY if set, else
// <dir of the running binary>/../share/tongwen/cedict.lex. Empty if none exists.
std::string DefaultDictionaryPath();

// Loads `path` (compiled .lex, or CC-CEDICT text/.gz which is compiled in
// memory). An empty path means DefaultDictionaryPath(); if that is empty too,
// returns a null lexicon with an OK status (no dictionary configured).
Result<std::unique_ptr<Lexicon>> LoadDictionary(const std::string& path);

}  // namespace tongwen
