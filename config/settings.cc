// Views of a Config for operators: memcached's `stats settings` lines and a YAML dump.
// Thread-safe (no shared state). The stats names and value formats are memcached 1.6.18's, so a
// tool that parses memcached's output reads ours; lines for features we lack are left out.
#include <cstdio>

#include "config/load.h"
#include "config/options.h"

namespace kmd::config {
namespace {

std::string YamlQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SettingsLines(const Config& c) {
  char umask[16];
  std::snprintf(umask, sizeof(umask), "%o", c.listen.unix_mask);
  const std::string threads = std::to_string(c.threads);
  return {
      {"maxbytes", std::to_string(c.memory.limit)},
      {"maxconns", std::to_string(c.connections.max)},
      {"tcpport", std::to_string(c.listen.port)},
      {"udpport", "0"},  // UDP is never served, whatever -U said
      {"inter", c.listen.address.empty() ? "NULL" : c.listen.address},
      {"verbosity", std::to_string(c.log.verbosity)},
      {"evictions", c.memory.evictions ? "on" : "off"},
      {"domain_socket", c.listen.unix_socket.empty() ? "NULL" : c.listen.unix_socket},
      {"umask", umask},
      {"shutdown_command", c.commands.shutdown ? "yes" : "no"},
      {"num_threads", threads},
      {"num_threads_per_udp", threads},
      {"stat_key_prefix", ":"},
      {"detail_enabled", "no"},
      {"reqs_per_event", std::to_string(c.connections.reqs_per_event)},
      {"cas_enabled", "yes"},
      {"binding_protocol", "auto-negotiate"},
      {"auth_enabled_sasl", "no"},
      {"auth_enabled_ascii", "no"},
      {"item_size_max", std::to_string(c.items.max_size)},
      {"maxconns_fast", "yes"},
      {"flush_enabled", c.commands.flush_all ? "yes" : "no"},
      {"idle_timeout", "0"},
      {"track_sizes", "no"},
      {"ssl_enabled", "no"},
      {"eviction_policy", c.eviction.policy},
      {"memory_allocator", c.memory.allocator},
      {"huge_pages", c.memory.huge_pages ? "yes" : "no"},
      {"process_allocator", c.memory.process_allocator},
      {"rss_limit", std::to_string(EffectiveRssLimit(c.memory))},
  };
}

std::string DumpYaml(const Config& c) {
  std::string top;
  std::string sections;
  for (const Section& s : kSections) {
    std::string body;
    for (const Descriptor& d : s.options) {
      std::string value = d.get(c);
      if (d.type == ValueType::kString || d.type == ValueType::kHostPort ||
          d.type == ValueType::kEnum || d.type == ValueType::kOctal ||
          d.type == ValueType::kSizeOrWord) {
        value = YamlQuote(value);
      }
      const std::string_view leaf = s.name.empty() ? d.key : d.key.substr(s.name.size() + 1);
      body += (s.name.empty() ? "" : "  ") + std::string(leaf) + ": " + value + "\n";
    }
    if (s.name.empty()) {
      top += body;
    } else {
      sections += std::string(s.name) + ":\n" + body;
    }
  }
  return top + sections;
}

}  // namespace kmd::config
