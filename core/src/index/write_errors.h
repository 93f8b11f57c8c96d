// What made a write fail, when Xapian's error does not say (issue 28).
#pragma once

#include <string>

#include <xapian.h>

#include "tongwen/index.h"
#include "tongwen/status.h"

namespace tongwen {

// The status for a Xapian error while writing into `dir`. If the error
// names a system error ("(No space left on device)") it is kept; if not,
// as when a shard opened with DB_DANGEROUS fails to commit and the cancel()
// Xapian then tries throws "cancel() not supported under
// Xapian::DB_DANGEROUS" in its place, `dir` is probed for the usual causes:
// a file at the file size limit (EFBIG, `ulimit -f`), then whether a 1 MiB
// file can be allocated there (ENOSPC, EDQUOT, EIO). `where` prefixes the
// message.
Status WriteError(const std::string& where, const std::string& dir, const Xapian::Error& e);

}  // namespace tongwen
