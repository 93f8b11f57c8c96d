// The reader-facing search page served at "/": plain HTML + JS over /search.
#pragma once

namespace searchd {
extern const char* const kWebPage;
}
