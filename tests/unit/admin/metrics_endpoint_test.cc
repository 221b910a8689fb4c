// A scrape over a real Store, ServerCounters and LatencyRecorder: the text is well-formed
// Prometheus exposition with valid names, Prometheus's conventions hold (counters end in _total),
// the figures match Stats(), and the memory kinds include the unaccounted rest.
#include "server/admin/metrics_endpoint.h"

#include <doctest/doctest.h>
#include <prometheus/check_names.h>

#include <cstring>
#include <map>
#include <sstream>
#include <string>

#include "tests/unit/cache/test_args.h"

namespace kmd::admin {
namespace {

using namespace cache::testing;  // NOLINT: test builders

struct Sample {
  std::string type;
  std::map<std::string, double> values;  // series (name{labels}) -> value
};

// name -> its # TYPE and series; checks every line on the way.
std::map<std::string, Sample> ParseExposition(const std::string& text) {
  std::map<std::string, Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    INFO(line);
    REQUIRE_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      CHECK(prometheus::CheckMetricName(name));
      out[name].type = type;
      continue;
    }
    const size_t sp = line.rfind(' ');
    REQUIRE(sp != std::string::npos);
    const std::string series = line.substr(0, sp);
    std::string family = series.substr(0, series.find('{'));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = family.substr(0, family.size() - std::strlen(suffix));
      if (family.size() > std::strlen(suffix) && family.ends_with(suffix) && out.count(base) &&
          out[base].type == "histogram") {
        family = base;
      }
    }
    REQUIRE(out.count(family) == 1);
    out[family].values[series] = std::stod(line.substr(sp + 1));
  }
  return out;
}

struct Daemonless {
  Daemonless() : store(cache::StoreConfig{}), endpoint({&store, &counters, &latency}) {}
  cache::Store store;
  net::ServerCounters counters;
  dispatch::LatencyRecorder latency;
  MetricsEndpoint endpoint;
};

TEST_CASE("scrape: valid exposition, conventions, and figures that match Stats()") {
  Daemonless d;
  for (int i = 0; i < 100; ++i) {
    d.store.Set(S(std::string("key").append(std::to_string(i)), std::string(10 + i * 50, 'v')));
  }
  d.store.Get(G("key1"));
  d.store.Get(G("missing"));
  d.counters.curr_connections = 3;
  d.latency.ShardForThisThread()->Record(dispatch::LatencyCommand::kGet, 1500);
  const auto fams = ParseExposition(d.endpoint.Scrape());
  const cache::StoreStats st = d.store.Stats();

  for (const auto& [name, sample] : fams) {
    INFO(name);
    CHECK(name.rfind(kMetricPrefix, 0) == 0);
    CHECK(name.ends_with("_total") == (sample.type == "counter"));
  }
  CHECK(fams.at("kotoba_current_items").values.at("kotoba_current_items") == 100);
  CHECK(fams.at("kotoba_current_bytes").values.at("kotoba_current_bytes") == st.bytes);
  CHECK(fams.at("kotoba_commands_total")
            .values.at("kotoba_commands_total{command=\"get\",status=\"miss\"}") == 1);
  CHECK(fams.at("kotoba_current_connections").values.at("kotoba_current_connections") == 3);
  CHECK(fams.at("kotoba_slab_current_items").values.size() == st.classes.size());
  CHECK(fams.at("kotoba_request_duration_seconds").type == "histogram");
  CHECK(fams.at("kotoba_request_duration_seconds")
            .values.at("kotoba_request_duration_seconds_count{command=\"get\"}") == 1);
  const auto& memory = fams.at("kotoba_memory_bytes").values;
  CHECK(memory.count("kotoba_memory_bytes{kind=\"unaccounted\"}") == 1);
  CHECK(memory.count("kotoba_memory_bytes{kind=\"payload\"}") == 1);
  CHECK(fams.at("kotoba_process_resident_memory_bytes")
            .values.at("kotoba_process_resident_memory_bytes") > 0);
  CHECK(fams.at("kotoba_stats_lock_hold_max_seconds")
            .values.at("kotoba_stats_lock_hold_max_seconds") > 0);
}

TEST_CASE("scrape: served as text/plain version 0.0.4") {
  Daemonless d;
  const HttpResponse r = d.endpoint.Serve();
  CHECK(r.status == 200);
  CHECK(r.content_type.find("version=0.0.4") != std::string::npos);
}

}  // namespace
}  // namespace kmd::admin
