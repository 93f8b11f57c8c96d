#include "metrics.h"

#include <cstdio>

namespace searchd {

void Metrics::Record(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lk(mu_);
  ++requests_[{route, status}];
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++hist_[b];
  sum_ += seconds;
  ++count_;
  if (status >= 500) ++errors_;
}

std::string Metrics::Render(uint64_t documents, uint64_t position_memory_bytes) const {
  std::lock_guard<std::mutex> lk(mu_);
  std::string out;
  char buf[1024];
  out += "# HELP tongwen_requests_total HTTP requests by route and status.\n";
  out += "# TYPE tongwen_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    std::snprintf(buf, sizeof buf, "tongwen_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                  k.first.c_str(), k.second, (unsigned long long)n);
    out += buf;
  }
  out += "# HELP tongwen_request_duration_seconds Request latency.\n";
  out += "# TYPE tongwen_request_duration_seconds histogram\n";
  uint64_t cum = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cum += hist_[i];
    std::snprintf(buf, sizeof buf, "tongwen_request_duration_seconds_bucket{le=\"%g\"} %llu\n", kBuckets[i],
                  (unsigned long long)cum);
    out += buf;
  }
  cum += hist_[kBuckets.size()];
  std::snprintf(buf, sizeof buf,
                "tongwen_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                "tongwen_request_duration_seconds_sum %.6f\n"
                "tongwen_request_duration_seconds_count %llu\n",
                (unsigned long long)cum, sum_, (unsigned long long)count_);
  out += buf;
  std::snprintf(buf, sizeof buf,
                "# HELP tongwen_errors_total Requests answered with a 5xx status.\n"
                "# TYPE tongwen_errors_total counter\ntongwen_errors_total %llu\n"
                "# HELP tongwen_documents Documents in the served database.\n"
                "# TYPE tongwen_documents gauge\ntongwen_documents %llu\n"
                "# HELP tongwen_position_memory_bytes Memory held for phrase checks (word positions).\n"
                "# TYPE tongwen_position_memory_bytes gauge\ntongwen_position_memory_bytes %llu\n",
                (unsigned long long)errors_, (unsigned long long)documents,
                (unsigned long long)position_memory_bytes);
  out += buf;
  return out;
}

}  // namespace searchd
