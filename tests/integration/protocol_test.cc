// Raw-socket checks of text, meta and binary replies, byte for byte as memcached 1.6.18 sends
// them. The expected bytes were recorded from memcached 1.6.18 (same requests, fresh daemon).
// CAS values and the version string differ between servers and runs, so those fields alone are
// checked by shape (non-zero, unchanged, changed) rather than by value.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/memcache_wire.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

struct Exchange {
  std::string request;
  std::string reply;  // exact bytes expected back, in order
};

// Sends each request and reads exactly the expected number of bytes back; a trailing `mn`
// proves nothing extra was sent.
void RunTranscript(TcpClient& c, const std::vector<Exchange>& transcript) {
  for (const auto& x : transcript) {
    INFO("request: ", Escape(x.request));
    REQUIRE(c.SendAll(x.request));
    const std::string got = c.ReadExact(x.reply.size(), std::chrono::seconds(3));
    INFO("got: ", Escape(got.empty() ? c.buffered() : got), " (", c.error(), ")");
    CHECK(Escape(got) == Escape(x.reply));
  }
  CHECK(Escape(c.Request("mn\r\n")) == "MN\\r\\n");
}

std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char ch : bytes) {
    out.push_back(digits[ch >> 4]);
    out.push_back(digits[ch & 15]);
  }
  return out;
}

// A binary reply with its CAS field (bytes 16..23) zeroed, so it can be compared as bytes.
std::string HexWithoutCas(std::string packet) {
  if (packet.size() >= 24) std::fill(packet.begin() + 16, packet.begin() + 24, '\0');
  return Hex(packet);
}

TEST_CASE("protocol: text commands answer byte for byte as memcached 1.6.18") {
  Daemon daemon;
  TcpClient c(daemon.port());
  const std::string key250(250, 'a');
  const std::string key251(251, 'a');
  RunTranscript(
      c, {
             {"set foo 5 0 3\r\nbar\r\n", "STORED\r\n"},
             {"get foo\r\n", "VALUE foo 5 3\r\nbar\r\nEND\r\n"},
             {"get nope\r\n", "END\r\n"},
             {"get foo nope foo\r\n", "VALUE foo 5 3\r\nbar\r\nVALUE foo 5 3\r\nbar\r\nEND\r\n"},
             {"bogus\r\n", "ERROR\r\n"},
             {"get\r\n", "ERROR\r\n"},
             {"set a 0 0\r\n", "ERROR\r\n"},
             // A data block longer than announced: the error, then the stray line is a command.
             {"set foo 0 0 3\r\nbarx\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n"},
             {"get foo\r\n", "VALUE foo 5 3\r\nbar\r\nEND\r\n"},
             {"set n 0 0 2\r\nab\r\n", "STORED\r\n"},
             {"incr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"},
             {"decr n 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"},
             {"incr foo abc\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n"},
             {"incr nope 1\r\n", "NOT_FOUND\r\n"},
             {"set big 0 0 20\r\n18446744073709551615\r\n", "STORED\r\n"},
             {"incr big 1\r\n", "0\r\n"},
             {"set c 0 0 2\r\n10\r\n", "STORED\r\n"},
             {"decr c 3\r\n", "7\r\n"},
             // memcached keeps the length of a shrinking decr result, padding with spaces.
             {"get c\r\n", "VALUE c 0 2\r\n7 \r\nEND\r\n"},
             {"decr c 100\r\n", "0\r\n"},
             {"incr c 18446744073709551615\r\n", "18446744073709551615\r\n"},
             {"delete nope\r\n", "NOT_FOUND\r\n"},
             {"delete n\r\n", "DELETED\r\n"},
             {"delete n noreply\r\n", ""},
             {"touch foo 10\r\n", "TOUCHED\r\n"},
             {"touch nope 10\r\n", "NOT_FOUND\r\n"},
             {"get " + key251 + "\r\n", "CLIENT_ERROR bad command line format\r\n"},
             {"get " + key250 + "\r\n", "END\r\n"},
             {"set x 0 0 1 noreply\r\na\r\n", ""},
             {"get x\r\n", "VALUE x 0 1\r\na\r\nEND\r\n"},
             {"cas x 0 0 1 999999999\r\nb\r\n", "EXISTS\r\n"},
             {"cas nope 0 0 1 1\r\nb\r\n", "NOT_FOUND\r\n"},
             {"add x 0 0 1\r\nc\r\n", "NOT_STORED\r\n"},
             {"add y 0 0 1\r\nc\r\n", "STORED\r\n"},
             {"replace nope 0 0 1\r\nc\r\n", "NOT_STORED\r\n"},
             {"replace y 0 0 1\r\nd\r\n", "STORED\r\n"},
             {"append nope 0 0 1\r\nc\r\n", "NOT_STORED\r\n"},
             {"prepend nope 0 0 1\r\nc\r\n", "NOT_STORED\r\n"},
             {"append y 0 0 2\r\nef\r\n", "STORED\r\n"},
             {"prepend y 9 0 2\r\nab\r\n", "STORED\r\n"},
             // append/prepend keep the item's flags, ignoring the ones they carry.
             {"get y\r\n", "VALUE y 0 5\r\nabdef\r\nEND\r\n"},
             {"verbosity 1\r\n", "OK\r\n"},
             {"flush_all\r\n", "OK\r\n"},
             {"get foo y x\r\n", "END\r\n"},
             {"flush_all noreply\r\n", ""},
         });
  CHECK(std::regex_match(c.Request("version\r\n"), std::regex("VERSION [0-9][^\r\n]*\r\n")));
  CHECK(daemon.alive());
}

TEST_CASE("protocol: gets and cas carry a CAS unique per mutation") {
  Daemon daemon;
  TcpClient c(daemon.port());
  REQUIRE(c.Request("set k 0 0 1\r\na\r\n") == "STORED\r\n");
  REQUIRE(c.Request("set other 0 0 1\r\na\r\n") == "STORED\r\n");
  const std::regex shape("VALUE k 0 1 ([0-9]+)\r\na\r\nEND\r\n");
  std::smatch m;
  const std::string first = c.Request("gets k\r\n", "END\r\n");
  REQUIRE(std::regex_match(first, m, shape));
  const std::string cas = m[1].str();
  CHECK(cas != "0");
  CHECK(c.Request("gets k\r\n", "END\r\n") == first);  // reading does not change it
  REQUIRE(c.Request("gets other\r\n", "END\r\n").find(" " + cas + "\r\n") == std::string::npos);
  CHECK(c.Request("cas k 0 0 1 " + cas + "\r\nb\r\n") == "STORED\r\n");
  CHECK(c.Request("cas k 0 0 1 " + cas + "\r\nc\r\n") == "EXISTS\r\n");
  const std::string second = c.Request("gets k\r\n", "END\r\n");
  REQUIRE(std::regex_match(second, m, std::regex("VALUE k 0 1 ([0-9]+)\r\nb\r\nEND\r\n")));
  CHECK(m[1].str() != cas);
  CHECK(c.Request("cas k 0 0 1 " + m[1].str() + " noreply\r\nd\r\nget k\r\n", "END\r\n") ==
        "VALUE k 0 1\r\nd\r\nEND\r\n");
}

TEST_CASE("protocol: meta commands answer byte for byte as memcached 1.6.18") {
  Daemon daemon;
  TcpClient c(daemon.port());
  RunTranscript(c, {
                       {"mn\r\n", "MN\r\n"},
                       {"ms mk 2\r\nhi\r\n", "HD\r\n"},
                       {"mg mk v\r\n", "VA 2\r\nhi\r\n"},
                       {"mg mk\r\n", "HD\r\n"},
                       {"mg nope v\r\n", "EN\r\n"},
                       {"mg nope v q\r\nmn\r\n", "MN\r\n"},
                       {"mg mk k v f t s\r\n", "VA 2 kmk f0 t-1 s2\r\nhi\r\n"},
                       {"mg mk O123 k v\r\n", "VA 2 O123 kmk\r\nhi\r\n"},
                       {"ms mk 2 F7 T0\r\nhi\r\n", "HD\r\n"},
                       {"mg mk f v\r\n", "VA 2 f7\r\nhi\r\n"},
                       {"ms mk 2 q\r\nho\r\nmn\r\n", "MN\r\n"},
                       {"md mk\r\n", "HD\r\n"},
                       {"md mk\r\n", "NF\r\n"},
                       // q hides HD only: a delete or arithmetic miss still answers NF.
                       {"md mk q\r\nmn\r\n", "NF\r\nMN\r\n"},
                       {"mg mk O123 k\r\n", "EN O123 kmk\r\n"},
                       {"ma nope\r\n", "NF\r\n"},
                       {"ma nope q\r\nmn\r\n", "NF\r\nMN\r\n"},
                       {"ma cnt N0 J5\r\n", "HD\r\n"},
                       {"ma cnt v\r\n", "VA 1\r\n6\r\n"},
                       {"ma cnt MD D2 v\r\n", "VA 1\r\n4\r\n"},
                       {"ma cnt MD D100 v\r\n", "VA 1\r\n0\r\n"},
                       {"me nope\r\n", "EN\r\n"},
                       {"ms mk 2 MA\r\nhi\r\n", "NS\r\n"},
                       {"ms mk 2 ME\r\nhi\r\n", "HD\r\n"},
                       {"ms mk 2 ME\r\nho\r\n", "NS\r\n"},
                       {"ms mk 2 MA\r\n!!\r\n", "HD\r\n"},
                       {"ms mk 1 MP\r\n<\r\n", "HD\r\n"},
                       {"mg mk v\r\n", "VA 5\r\n<hi!!\r\n"},
                       {"ms mk 1 MR\r\nr\r\n", "HD\r\n"},
                       {"ms nope 1 MR\r\nr\r\n", "NS\r\n"},
                       {"mg mk v\r\n", "VA 1\r\nr\r\n"},
                       {"ms mk 2 I\r\nhi\r\n", "HD\r\n"},
                       {"mg mk v h t\r\n", "VA 2 h0 t-1\r\nhi\r\n"},
                       {"mg mk h\r\n", "HD h1\r\n"},
                       {"ms tk 1 T100\r\nt\r\n", "HD\r\n"},
                       {"mg tk T5 t\r\n", "HD t5\r\n"},
                       {"ms b64 2 b\r\nhi\r\n", "CLIENT_ERROR error decoding key\r\n"},
                       {"mg YjY0 b k v\r\n", "EN kYjY0 b\r\n"},
                       // md I marks the item stale: the next reader wins (W) the right to
                       // recompute, later readers see that a win was handed out (Z).
                       {"md mk I\r\n", "HD\r\n"},
                       {"mg mk v\r\n", "VA 2 X W\r\nhi\r\n"},
                       {"mg mk v q k\r\nmn\r\n", "VA 2 kmk Z X\r\nhi\r\nMN\r\n"},
                       {"mg\r\n", "ERROR\r\n"},
                       {"ms mk S2\r\nhi\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n"},
                       {"ms mk abc\r\nhi\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n"},
                   });
  // mg c returns the CAS; ms C<cas> succeeds with it once and fails with EX after.
  std::smatch m;
  REQUIRE(c.Request("ms ck 1\r\na\r\n") == "HD\r\n");
  const std::string with_cas = c.Request("mg ck c\r\n");
  INFO("mg ck c: ", Escape(with_cas));
  REQUIRE(std::regex_match(with_cas, m, std::regex("HD c([0-9]+)\r\n")));
  CHECK(c.Request("ms ck 1 C" + m[1].str() + "\r\nz\r\n") == "HD\r\n");
  CHECK(c.Request("ms ck 1 C" + m[1].str() + "\r\nz\r\n") == "EX\r\n");
  CHECK(c.Request("md ck C" + m[1].str() + "\r\n") == "EX\r\n");
  CHECK(daemon.alive());
}

TEST_CASE("protocol: binary replies byte for byte as memcached 1.6.18") {
  Daemon daemon;
  TcpClient c(daemon.port());
  struct BinExchange {
    std::string request;
    std::string reply_hex;  // CAS field zeroed
    bool cas_nonzero;
  };
  auto inc = [](uint64_t delta, uint64_t initial, uint32_t exptime) {
    std::string e;
    AppendBe64(&e, delta);
    AppendBe64(&e, initial);
    AppendBe32(&e, exptime);
    return e;
  };
  std::string ttl100;
  AppendBe32(&ttl100, 100);
  const std::vector<BinExchange> transcript = {
      {BinaryRequest(kOpFlush, "", "", "", 1), "810800000000000000000000000000010000000000000000",
       false},
      {BinaryRequest(kOpGet, "nokey", "", "", 0xdeadbeef),
       "810000000000000100000009deadbeef00000000000000004e6f7420666f756e64", false},
      {BinaryRequest(kOpGetK, "nokey", "", "", 7),
       "810c000500000001000000050000000700000000000000006e6f6b6579", false},
      // A quiet miss says nothing: the next reply is the noop's.
      {BinaryRequest(kOpGetQ, "nokey", "", "", 1) + BinaryRequest(kOpNoop, "", "", "", 2),
       "810a00000000000000000000000000020000000000000000", false},
      {BinaryRequest(kOpSet, "bk", SetExtras(0xcafe, 0), "hello", 5),
       "810100000000000000000000000000050000000000000000", true},
      {BinaryRequest(kOpGet, "bk", "", "", 6),
       "81000000040000000000000900000006"
       "0000000000000000"
       "0000cafe68656c6c6f",
       true},
      {BinaryRequest(kOpGetK, "bk", "", "", 6),
       "810c0002040000000000000b00000006"
       "0000000000000000"
       "0000cafe626b68656c6c6f",
       true},
      {BinaryRequest(kOpAdd, "bk", SetExtras(0, 0), "x"),
       "810200000000000200000014000000000000000000000000446174612065786973747320666f72206b65792e",
       false},
      {BinaryRequest(kOpSet, "bk", SetExtras(0, 0), "x", 0, 0x7fffffffffffULL),
       "810100000000000200000014000000000000000000000000446174612065786973747320666f72206b65792e",
       false},
      {BinaryRequest(kOpReplace, "nokey", SetExtras(0, 0), "x"),
       "8103000000000001000000090000000000000000000000004e6f7420666f756e64", false},
      {BinaryRequest(kOpAppend, "nokey", "", "x"),
       "810e0000000000050000000b0000000000000000000000004e6f742073746f7265642e", false},
      {BinaryRequest(kOpDelete, "nokey"),
       "8104000000000001000000090000000000000000000000004e6f7420666f756e64", false},
      {BinaryRequest(kOpIncrement, "bk", inc(1, 0, 0)),
       "81050000000000060000002e000000000000000000000000"
       "4e6f6e2d6e756d65726963207365727665722d736964652076616c756520666f7220696e6372206f72206465637"
       "2",
       false},
      {BinaryRequest(kOpIncrement, "ctr", inc(5, 42, 0)),
       "810500000000000000000008000000000000000000000000000000000000002a", true},
      {BinaryRequest(kOpIncrement, "ctr", inc(5, 42, 0)),
       "810500000000000000000008000000000000000000000000000000000000002f", true},
      {BinaryRequest(kOpDecrement, "ctr", inc(100, 42, 0)),
       "8106000000000000000000080000000000000000000000000000000000000000", true},
      // Expiration 0xffffffff: do not create a missing counter.
      {BinaryRequest(kOpIncrement, "ctr2", inc(5, 42, 0xffffffff)),
       "8105000000000001000000090000000000000000000000004e6f7420666f756e64", false},
      {BinaryRequest(0x50, "", "", "", 9),
       "81500000000000810000000f000000090000000000000000556e6b6e6f776e20636f6d6d616e64", false},
      // Touch answers with the item's flags (no value), as memcached does.
      {BinaryRequest(kOpTouch, "bk", ttl100),
       "811c0000040000000000000400000000"
       "0000000000000000"
       "0000cafe",
       true},
      {BinaryRequest(kOpTouch, "nokey", ttl100),
       "811c000000000001000000090000000000000000000000004e6f7420666f756e64", false},
      {BinaryRequest(kOpGat, "bk", ttl100),
       "811d0000040000000000000900000000"
       "0000000000000000"
       "0000cafe68656c6c6f",
       true},
      {BinaryRequest(kOpSetQ, "q1", SetExtras(0, 0), "v") + BinaryRequest(kOpNoop),
       "810a00000000000000000000000000000000000000000000", false},
      {BinaryRequest(kOpStat, "nosuchgroup"),
       "8110000000000001000000090000000000000000000000004e6f7420666f756e64", false},
      {BinaryRequest(kOpSet, "huge", SetExtras(0, 0), std::string(1024 * 1024 + 10, 'x')),
       "81010000000000030000000a000000000000000000000000546f6f206c617267652e", false},
      {BinaryRequest(kOpGetK, "q1", "", "", 3),
       "810c0002040000000000000700000003"
       "0000000000000000"
       "00000000713176",
       true},
  };
  for (const auto& x : transcript) {
    INFO("request: ", Escape(x.request, 80));
    REQUIRE(c.SendAll(x.request));
    const std::string got = c.ReadBinaryPacket(std::chrono::seconds(3));
    INFO("got: ", Hex(got), " (", c.error(), ")");
    CHECK(HexWithoutCas(got) == x.reply_hex);
    const auto parsed = ParseBinaryResponse(got);
    CHECK((parsed.cas != 0) == x.cas_nonzero);
  }
  const auto version = ParseBinaryResponse(
      (c.SendAll(BinaryRequest(kOpVersion)), c.ReadBinaryPacket(std::chrono::seconds(3))));
  CHECK(version.status == kStatusOk);
  CHECK(std::regex_match(version.value, std::regex("[0-9][0-9A-Za-z.+-]*")));
  CHECK(daemon.alive());
}

TEST_CASE("protocol: binary CAS is echoed by get and checked by set") {
  Daemon daemon;
  TcpClient c(daemon.port());
  REQUIRE(c.SendAll(BinaryRequest(kOpSet, "k", SetExtras(1, 0), "v1")));
  const auto set = ParseBinaryResponse(c.ReadBinaryPacket());
  REQUIRE(set.status == kStatusOk);
  REQUIRE(c.SendAll(BinaryRequest(kOpGet, "k")));
  const auto get = ParseBinaryResponse(c.ReadBinaryPacket());
  CHECK(get.cas == set.cas);
  REQUIRE(c.SendAll(BinaryRequest(kOpSet, "k", SetExtras(1, 0), "v2", 0, set.cas)));
  const auto cas_set = ParseBinaryResponse(c.ReadBinaryPacket());
  CHECK(cas_set.status == kStatusOk);
  CHECK(cas_set.cas != set.cas);
  REQUIRE(c.SendAll(BinaryRequest(kOpSet, "k", SetExtras(1, 0), "v3", 0, set.cas)));
  CHECK(ParseBinaryResponse(c.ReadBinaryPacket()).status == kStatusKeyExists);
  REQUIRE(c.SendAll(BinaryRequest(kOpDelete, "k", "", "", 0, set.cas)));
  CHECK(ParseBinaryResponse(c.ReadBinaryPacket()).status == kStatusKeyExists);
  REQUIRE(c.SendAll(BinaryRequest(kOpDelete, "k", "", "", 0, cas_set.cas)));
  CHECK(ParseBinaryResponse(c.ReadBinaryPacket()).status == kStatusOk);
}

TEST_CASE("protocol: a CAS first handed out by one protocol holds on the others (lazy CAS)") {
  Daemon daemon;
  TcpClient text(daemon.port());
  TcpClient bin(daemon.port());
  // Text and quiet binary sets keep no CAS field; the first reader asking for the CAS gets one.
  REQUIRE(text.Request("set t 3 0 2\r\nv1\r\n") == "STORED\r\n");
  REQUIRE(bin.SendAll(BinaryRequest(kOpSetQ, "q", SetExtras(0, 0), "w1") +
                      BinaryRequest(kOpGet, "q")));
  const auto q = ParseBinaryResponse(bin.ReadBinaryPacket());
  REQUIRE(q.status == kStatusOk);
  CHECK(q.value == "w1");
  CHECK(q.cas != 0);
  CHECK(text.Request("gets q\r\n", "END\r\n") ==
        "VALUE q 0 2 " + std::to_string(q.cas) + "\r\nw1\r\nEND\r\n");

  REQUIRE(bin.SendAll(BinaryRequest(kOpGet, "t")));
  const auto got = ParseBinaryResponse(bin.ReadBinaryPacket());
  REQUIRE(got.status == kStatusOk);
  CHECK(got.cas != 0);
  CHECK(got.cas != q.cas);
  const std::string cas = std::to_string(got.cas);
  CHECK(text.Request("gets t\r\n", "END\r\n") == "VALUE t 3 2 " + cas + "\r\nv1\r\nEND\r\n");
  CHECK(text.Request("mg t c v\r\n", "\r\nv1\r\n") == "VA 2 c" + cas + "\r\nv1\r\n");
  // A text cas with it succeeds once; the new version has no CAS yet, so any old one fails.
  CHECK(text.Request("cas t 0 0 2 " + cas + "\r\nv2\r\n") == "STORED\r\n");
  REQUIRE(bin.SendAll(BinaryRequest(kOpSet, "t", SetExtras(0, 0), "v3", 0, got.cas)));
  CHECK(ParseBinaryResponse(bin.ReadBinaryPacket()).status == kStatusKeyExists);
  CHECK(text.Request("get t\r\n", "END\r\n") == "VALUE t 0 2\r\nv2\r\nEND\r\n");
  // A text incr on it keeps memcached's in-place padding and reports a CAS to binary readers.
  REQUIRE(text.Request("set n 0 0 3\r\n100\r\n") == "STORED\r\n");
  CHECK(text.Request("decr n 95\r\n") == "5\r\n");
  CHECK(text.Request("get n\r\n", "END\r\n") == "VALUE n 0 3\r\n5  \r\nEND\r\n");
  CHECK(daemon.alive());
}

TEST_CASE("protocol: malformed binary requests get EINVAL and the connection is closed") {
  Daemon daemon;
  std::string four(4, 'x');
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"get without a key", BinaryRequest(kOpGet)},
      {"get with a 251-byte key", BinaryRequest(kOpGet, std::string(251, 'a'))},
      {"get with extras", BinaryRequest(kOpGet, "bk", four)},
      {"delete with extras", BinaryRequest(kOpDelete, "bk", four)},
      {"set without extras", BinaryRequest(kOpSet, "bk", "", "v")},
  };
  for (const auto& [name, request] : cases) {
    INFO(name);
    TcpClient c(daemon.port());
    REQUIRE(c.SendAll(request));
    // Status 0x0004 "Invalid arguments", echoing the request's opcode.
    CHECK(Hex(c.ReadBinaryPacket(std::chrono::seconds(3))) ==
          "81" + Hex(request.substr(1, 1)) +
              "000000000004000000110000000000000000000000004"
              "96e76616c696420617267756d656e7473");
    CHECK(c.WaitClosed(std::chrono::seconds(3)));
  }
  TcpClient quit(daemon.port());
  REQUIRE(quit.SendAll(BinaryRequest(kOpQuit, "", "", "", 4)));
  CHECK(Hex(quit.ReadBinaryPacket()) == "810700000000000000000000000000040000000000000000");
  CHECK(quit.WaitClosed(std::chrono::seconds(3)));
  CHECK(daemon.alive());
}

}  // namespace
}  // namespace kmd::test
