// Unit tests for config/values.h: sizes, durations, booleans, octal modes, HOST:PORT.
// Pure functions; no fixtures.
#include "config/values.h"

#include <doctest/doctest.h>

#include "config/config.h"

using namespace kmd::config;
using std::chrono::milliseconds;

TEST_CASE("sizes take k/m/g and KiB/MiB/GiB in any case; bare numbers use the given unit") {
  CHECK(ParseSize("64", kMiB) == 64 * kMiB);
  CHECK(ParseSize("64", 1) == 64u);
  CHECK(ParseSize("1k", 1) == kKiB);
  CHECK(ParseSize("1K", 1) == kKiB);
  CHECK(ParseSize("1KiB", 1) == kKiB);
  CHECK(ParseSize("1kib", 1) == kKiB);
  CHECK(ParseSize("2m", kMiB) == 2 * kMiB);
  CHECK(ParseSize("2MiB", 1) == 2 * kMiB);
  CHECK(ParseSize("2 MiB", 1) == 2 * kMiB);
  CHECK(ParseSize("3g", 1) == 3 * kGiB);
  CHECK(ParseSize("3GIB", 1) == 3 * kGiB);
  CHECK(ParseSize("512b", kMiB) == 512u);
  CHECK(ParseSize("0", kMiB) == 0u);
}

TEST_CASE("bad sizes are rejected, never clipped") {
  CHECK_FALSE(ParseSize("", 1));
  CHECK_FALSE(ParseSize("m", 1));
  CHECK_FALSE(ParseSize("-1", 1));
  CHECK_FALSE(ParseSize("1.5m", 1));
  CHECK_FALSE(ParseSize("10q", 1));
  CHECK_FALSE(ParseSize("10 m b", 1));
  CHECK_FALSE(ParseSize("=64", kMiB));
  CHECK_FALSE(ParseSize("99999999999999999999", 1));
  CHECK_FALSE(ParseSize("17179869184g", 1));  // 2^34 GiB overflows 64 bits
  CHECK_FALSE(ParseSize("18446744073709551615", kMiB));
}

TEST_CASE("durations take ms/s/m/h; a bare number is seconds") {
  CHECK(ParseDuration("250ms") == milliseconds(250));
  CHECK(ParseDuration("5s") == milliseconds(5000));
  CHECK(ParseDuration("5") == milliseconds(5000));
  CHECK(ParseDuration("2m") == milliseconds(120000));
  CHECK(ParseDuration("1h") == milliseconds(3600000));
  CHECK(ParseDuration("1H") == milliseconds(3600000));
  CHECK_FALSE(ParseDuration("1d"));
  CHECK_FALSE(ParseDuration("s"));
  CHECK_FALSE(ParseDuration("-5s"));
  CHECK_FALSE(ParseDuration("99999999999999999h"));
}

TEST_CASE("booleans, octal modes, host:port") {
  CHECK(ParseBool("true") == true);
  CHECK(ParseBool("Yes") == true);
  CHECK(ParseBool("on") == true);
  CHECK(ParseBool("0") == false);
  CHECK(ParseBool("OFF") == false);
  CHECK_FALSE(ParseBool("maybe"));

  CHECK(ParseOctalMode("700") == 0700u);
  CHECK(ParseOctalMode("0777") == 0777u);
  CHECK(ParseOctalMode("0") == 0u);
  CHECK_FALSE(ParseOctalMode("800"));
  CHECK_FALSE(ParseOctalMode("1777"));
  CHECK_FALSE(ParseOctalMode("rw"));

  auto hp = ParseHostPort("127.0.0.1:9150");
  REQUIRE(hp);
  CHECK(hp->host == "127.0.0.1");
  CHECK(hp->port == 9150);
  auto v6 = ParseHostPort("[::1]:9151");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9151);
  CHECK_FALSE(ParseHostPort("::1:9151"));
  CHECK_FALSE(ParseHostPort("localhost"));
  CHECK_FALSE(ParseHostPort(":9150"));
  CHECK_FALSE(ParseHostPort("host:65536"));
  CHECK_FALSE(ParseHostPort("host:http"));
}

TEST_CASE("formatting round-trips through parsing") {
  CHECK(FormatSize(64 * kMiB) == "64MiB");
  CHECK(FormatSize(kKiB) == "1KiB");
  CHECK(FormatSize(1000) == "1000B");
  CHECK(FormatSize(3 * kGiB) == "3GiB");
  for (uint64_t n : {uint64_t{0}, uint64_t{1}, kKiB + 1, 64 * kMiB, 5 * kGiB, uint64_t{1} << 44}) {
    CHECK(ParseSize(FormatSize(n), kMiB) == n);
  }
  CHECK(FormatDuration(milliseconds(5000)) == "5s");
  CHECK(FormatDuration(milliseconds(90000)) == "90s");
  CHECK(FormatDuration(milliseconds(120000)) == "2m");
  CHECK(FormatDuration(milliseconds(250)) == "250ms");
  for (int64_t ms : {0, 1, 999, 1000, 61000, 3600000, 7200001}) {
    CHECK(ParseDuration(FormatDuration(milliseconds(ms))) == milliseconds(ms));
  }
  CHECK(FormatOctalMode(0700) == "0700");
  CHECK(ParseOctalMode(FormatOctalMode(0755)) == 0755u);
}
