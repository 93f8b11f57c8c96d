// searchd's descriptor budget (issue 28): the open-file limit is shared by
// the client connections and the workers' database files, and connections
// must never take the descriptors a worker needs to open the index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace searchd {

// A glass database has at most six table files (searchd's use three: the
// postlist, termlist and docdata); a worker may hold two handles at once
// (its own, and a new one opened beside it when the index changes, or the
// one /stats and /health read).
constexpr uint64_t kFilesPerWorker = 2 * 6;
// Standard streams and the log, the listener, epoll and its eventfd, the
// writer lock and dictionary files, the main thread's database handle, and
// a few to spare.
constexpr uint64_t kFixedFiles = 24;
// Fewer connections than this, and searchd runs fewer workers instead.
constexpr uint64_t kMinConnections = 16;
constexpr uint64_t kMaxConnections = 10000;

struct DescriptorBudget {
  uint64_t limit = 0;        // the soft RLIMIT_NOFILE, after raising it
  unsigned workers = 0;      // the workers asked for, or fewer to fit
  uint64_t reserved = 0;     // for the workers' database files and the fixed ones
  uint64_t connections = 0;  // the connection cap: what is left, at most kMaxConnections
  bool fits = true;          // false: not even one worker and kMinConnections fit
};

// Divides a limit of `limit` descriptors (pure; for tests).
DescriptorBudget PlanDescriptors(uint64_t limit, unsigned workers);
// Raises the soft RLIMIT_NOFILE to the hard limit and plans with it.
DescriptorBudget RaiseAndPlanDescriptors(unsigned workers);
// For the start-up line: "descriptors: limit L, R reserved (W workers x 12,
// log, listener), at most C connections".
std::string Describe(const DescriptorBudget& b);

}  // namespace searchd
