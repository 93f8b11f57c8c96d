// The reader-facing search page served at "/": plain HTML + JS over /search.
#pragma once

#include <string>

namespace searchd {
extern const char* const kWebPage;

// The Content-Security-Policy the page is served with: nothing but its own
// inline <script> and <style> (allowed by their SHA-256) and requests to
// this server; no framing.
const std::string& WebPageCsp();
}
