// The /metrics start-up policy: off, listening on a picked port, the built-in default taken
// (warn and run without), a configured address taken or malformed (an error naming it).
#include "server/admin/metrics_listener.h"

#include <doctest/doctest.h>

namespace kmd::admin {
namespace {

config::MetricsConfig Listen(std::string address) {
  config::MetricsConfig c;
  c.listen = std::move(address);
  return c;
}

TEST_CASE("metrics listener: disabled opens nothing") {
  config::MetricsConfig c;
  c.enabled = false;
  const MetricsListener l = OpenMetricsListener(c, c.listen);
  CHECK(l.outcome == MetricsListener::kDisabled);
  CHECK_FALSE(l.server);
}

TEST_CASE("metrics listener: port 0 listens on a picked port and says which") {
  const MetricsListener l = OpenMetricsListener(Listen("127.0.0.1:0"), "127.0.0.1:9150");
  REQUIRE(l.outcome == MetricsListener::kListening);
  REQUIRE(l.server);
  CHECK(l.url == "http://127.0.0.1:" + std::to_string(l.server->port()) + "/metrics");
}

TEST_CASE("metrics listener: a taken address is a warning if it is the default, else an error") {
  const MetricsListener first = OpenMetricsListener(Listen("127.0.0.1:0"), "");
  REQUIRE(first.server);
  const std::string taken = "127.0.0.1:" + std::to_string(first.server->port());

  const MetricsListener as_default = OpenMetricsListener(Listen(taken), taken);
  CHECK(as_default.outcome == MetricsListener::kDefaultTaken);
  CHECK_FALSE(as_default.server);
  CHECK(as_default.message.find(taken) != std::string::npos);

  const MetricsListener configured = OpenMetricsListener(Listen(taken), "127.0.0.1:9150");
  CHECK(configured.outcome == MetricsListener::kFailed);
  CHECK(configured.message.find("metrics.listen") != std::string::npos);
  CHECK(configured.message.find(taken) != std::string::npos);

  const MetricsListener malformed = OpenMetricsListener(Listen("nonsense"), "127.0.0.1:9150");
  CHECK(malformed.outcome == MetricsListener::kFailed);
  CHECK(malformed.message.find("nonsense") != std::string::npos);
}

}  // namespace
}  // namespace kmd::admin
