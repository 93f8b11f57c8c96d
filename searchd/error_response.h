// The responses searchd's connection layer writes itself, before (or
// instead of) cpp-httplib: error responses that close the connection.
#pragma once

#include <string>

namespace searchd {

// The status line, JSON headers, `extra_headers` (each "Name: value\r\n")
// and `body`, with "Connection: close".
std::string ErrorResponse(int status, const std::string& body, const std::string& extra_headers = {});

}  // namespace searchd
