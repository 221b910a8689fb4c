// Command-line parsing (memcached's getopt-style flags plus ours), the merge with the YAML file,
// validation, --help and --version. Thread-safe (no shared state).
// Precedence is fixed regardless of argument order: defaults, then the file, then every flag in
// the order given. Errors are values (LoadOutcome kExit, code 2), never exceptions or exit().
#include "config/load.h"

#include <algorithm>
#include <bit>
#include <filesystem>
#include <thread>

#include "config/options.h"
#include "config/yaml_source.h"

#ifndef KMD_VERSION
#define KMD_VERSION "0.0.0"
#endif

namespace kmd::config {
namespace {

constexpr std::string_view kProgram = "kotoba-memd";

std::string Error(std::string_view what) {
  return std::string(kProgram) + ": " + std::string(what);
}

LoadOutcome Exit(int code, std::string message) {
  LoadOutcome out;
  out.action = LoadOutcome::kExit;
  out.exit_code = code;
  out.message = std::move(message);
  return out;
}

// One flag resolved against the tables: a setting or an action.
struct Flag {
  const Descriptor* setting = nullptr;
  const FlagDescriptor* action = nullptr;
  bool TakesArg() const {
    return setting != nullptr ? setting->type != ValueType::kBool : action->takes_arg;
  }
  char Short() const { return setting != nullptr ? setting->short_flag : action->short_flag; }
  std::string_view Long() const {
    return setting != nullptr ? setting->long_flag : action->long_flag;
  }
  // "-p/--port (listen.port)"
  std::string Name() const {
    std::string out;
    if (Short() != '\0') out += std::string("-") + Short();
    if (!Long().empty()) out += (out.empty() ? "--" : "/--") + std::string(Long());
    if (setting != nullptr) out += " (" + std::string(setting->key) + ")";
    return out;
  }
};

Flag FindShort(char c) {
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      if (d.short_flag == c) return {&d, nullptr};
    }
  }
  for (const FlagDescriptor& f : kFlags) {
    if (f.short_flag == c) return {nullptr, &f};
  }
  return {};
}

Flag FindLong(std::string_view name) {
  if (name.empty()) return {};
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      if (d.long_flag == name) return {&d, nullptr};
    }
  }
  for (const FlagDescriptor& f : kFlags) {
    if (f.long_flag == name) return {nullptr, &f};
  }
  return {};
}

bool IsExtendedOption(std::string_view name) {
  return std::find(kExtendedOptionNames.begin(), kExtendedOptionNames.end(), name) !=
         kExtendedOptionNames.end();
}

std::string ExtendedOptionList() {
  std::string out;
  for (std::string_view name : kExtendedOptionNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// What the command line asked for, before the file is read.
struct CommandLine {
  struct Assignment {
    Flag flag;
    std::string value;
  };
  std::vector<Assignment> assignments;
  uint32_t verbose = 0;
  bool disable_evictions = false;
  bool enable_shutdown = false;
  bool disable_flush_all = false;
  bool check_only = false;
  std::string config_path;
  std::vector<std::string> warnings;
};

std::string LicenseText() {
  return std::string(kProgram) + " " KMD_VERSION
                                 "\nA memcached-compatible cache daemon; it contains no memcached "
                                 "code.\nSee the LICENSE file shipped with kotoba-memd.\n";
}

// Applies one resolved flag. Returns an early outcome (help, version, error) or nullopt.
std::optional<LoadOutcome> Take(const Flag& flag, std::string_view spelled,
                                std::optional<std::string> value, CommandLine& cli) {
  if (flag.setting != nullptr) {
    if (flag.setting->type == ValueType::kBool && !value) value = "true";
    cli.assignments.push_back({flag, *value});
    return std::nullopt;
  }
  const FlagDescriptor& f = *flag.action;
  switch (f.action) {
    case FlagAction::kHelp:
      return Exit(0, HelpText());
    case FlagAction::kVersion:
      return Exit(0, VersionText() + "\n");
    case FlagAction::kLicense:
      return Exit(0, LicenseText());
    case FlagAction::kVerbose:
      cli.verbose = std::min<uint32_t>(cli.verbose + 1, 3);
      return std::nullopt;
    case FlagAction::kDisableEvictions:
      cli.disable_evictions = true;
      return std::nullopt;
    case FlagAction::kEnableShutdown:
      cli.enable_shutdown = true;
      return std::nullopt;
    case FlagAction::kDisableFlushAll:
      cli.disable_flush_all = true;
      return std::nullopt;
    case FlagAction::kConfigFile:
      if (value->empty()) return Exit(kExitUsage, Error("--config needs a file name"));
      cli.config_path = *value;
      return std::nullopt;
    case FlagAction::kCheckConfig:
      cli.check_only = true;
      return std::nullopt;
    case FlagAction::kExtended: {
      std::string_view rest = *value;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const std::string_view name = item.substr(0, item.find('='));
        if (name.empty()) continue;  // "a,,b" and a trailing comma, as getsubopt allows
        if (!IsExtendedOption(name)) {
          return Exit(kExitUsage, Error("unknown memcached extended option \"" + std::string(name) +
                                        "\" in \"" + std::string(spelled) + " " + *value +
                                        "\"; -o accepts: " + ExtendedOptionList()));
        }
        cli.warnings.push_back("-o " + std::string(item) +
                               ": memcached tuning option accepted for compatibility and ignored");
      }
      return std::nullopt;
    }
    case FlagAction::kWarn:
      cli.warnings.push_back(flag.Name() + (value ? " " + *value : std::string()) +
                             ": accepted for memcached compatibility, " + std::string(f.help));
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<LoadOutcome> ParseCommandLine(int argc, const char* const* argv, CommandLine& cli) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i] != nullptr ? argv[i] : "";
    auto next_value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc || argv[i + 1] == nullptr) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto missing = [&](const Flag& flag) {
      std::string allowed = flag.setting != nullptr ? internal::AllowedText(*flag.setting)
                                                    : std::string(flag.action->arg_name);
      return Exit(kExitUsage, Error("option " + flag.Name() + " needs a value: " + allowed));
    };
    if (arg.size() > 2 && arg.substr(0, 2) == "--") {
      const std::string_view body = arg.substr(2);
      const size_t eq = body.find('=');
      const std::string_view name = body.substr(0, eq);
      const Flag flag = FindLong(name);
      if (flag.setting == nullptr && flag.action == nullptr) {
        return Exit(kExitUsage, Error("unknown option \"--" + std::string(name) +
                                      "\" (run kotoba-memd --help for the list)"));
      }
      std::optional<std::string> value;
      if (eq != std::string_view::npos) {
        value = std::string(body.substr(eq + 1));
        if (!flag.TakesArg() && flag.setting == nullptr) {
          return Exit(kExitUsage,
                      Error("option " + flag.Name() + " takes no value, got \"" + *value + "\""));
        }
      } else if (flag.TakesArg()) {
        value = next_value();
        if (!value) return missing(flag);
      }
      if (auto out = Take(flag, arg.substr(0, eq == std::string_view::npos ? arg.size() : eq + 2),
                          value, cli)) {
        return out;
      }
      continue;
    }
    if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      // Short flags combine as getopt allows: "-vv", "-dv", "-p11211", "-dp 11211".
      for (size_t j = 1; j < arg.size(); ++j) {
        const Flag flag = FindShort(arg[j]);
        if (flag.setting == nullptr && flag.action == nullptr) {
          std::string where = arg.size() > 2 ? " in \"" + std::string(arg) + "\"" : std::string();
          return Exit(kExitUsage, Error("unknown option \"-" + std::string(1, arg[j]) + "\"" +
                                        where + " (run kotoba-memd --help for the list)"));
        }
        std::optional<std::string> value;
        if (flag.TakesArg()) {
          if (j + 1 < arg.size()) {
            value = std::string(arg.substr(j + 1));
          } else {
            value = next_value();
            if (!value) return missing(flag);
          }
        }
        if (auto out = Take(flag, "-" + std::string(1, arg[j]), value, cli)) return out;
        if (flag.TakesArg()) break;
      }
      continue;
    }
    return Exit(kExitUsage, Error("unexpected argument \"" + std::string(arg) +
                                  "\": settings are given as flags, e.g. -p 11211 or --port=11211 "
                                  "(run kotoba-memd --help for the list)"));
  }
  return std::nullopt;
}

int LevelRank(std::string_view level) {
  static constexpr std::array<std::string_view, 7> kLevels{"trace", "debug",    "info", "warn",
                                                           "error", "critical", "off"};
  for (size_t i = 0; i < kLevels.size(); ++i) {
    if (kLevels[i] == level) return static_cast<int>(i);
  }
  return 2;
}

std::string HelpLine(std::string left, std::string_view right) {
  constexpr size_t kColumn = 32;
  left = "  " + left;
  if (left.size() + 1 > kColumn)
    return left + "\n" + std::string(kColumn, ' ') + std::string(right) + "\n";
  return left + std::string(kColumn - left.size(), ' ') + std::string(right) + "\n";
}

std::string FlagSpelling(char short_flag, std::string_view long_flag, std::string_view arg_name) {
  std::string out;
  if (short_flag != '\0') out += std::string("-") + short_flag;
  if (!long_flag.empty()) {
    out += (out.empty() ? "--" : ", --") + std::string(long_flag);
    if (!arg_name.empty()) out += "=" + std::string(arg_name);
  } else if (!arg_name.empty()) {
    out += " " + std::string(arg_name);
  }
  return out;
}

}  // namespace

// Clamped to the descriptor's range so the default always passes validation.
uint32_t DefaultThreads() { return std::clamp(std::thread::hardware_concurrency(), 1u, 1024u); }

const Descriptor* FindOption(std::string_view key) {
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      if (d.key == key) return &d;
    }
  }
  return nullptr;
}

std::string VersionText() {
  return std::string(kProgram) + " " KMD_VERSION " (memcached 1.6.18 compatible)";
}

std::string HelpText() {
  std::string out = VersionText() + "\n";
  out += "Usage: kotoba-memd [--config FILE] [options]\n";
  out += "Settings come from built-in defaults, then the YAML file, then flags (a flag wins).\n";
  out += "Sizes take k, m, g or KiB, MiB, GiB (any case); durations ms, s, m, h.\n";
  out += "A bad flag, key or value exits with code 2.\n";
  for (const Section& s : kSections) {
    out += "\n" + (s.name.empty() ? std::string("top-level") : std::string(s.name)) + " (" +
           std::string(s.help) + "):\n";
    for (const Descriptor& d : s.options) {
      std::string left = FlagSpelling(d.short_flag, d.long_flag, d.arg_name);
      if (left.empty()) left = "(YAML only)";
      out += HelpLine(left, std::string(d.key) + ": " + std::string(d.help));
      out += HelpLine(
          "", "default: " +
                  (d.default_text.empty() ? std::string("\"\"") : std::string(d.default_text)) +
                  "; " + internal::AllowedText(d));
    }
  }
  // Flags that do nothing here are listed by letter only: memcached's own test harness reads -h
  // to learn which features a server has (SASL, TLS, extstore, proxy), and we have none of them.
  out += "\nactions and memcached compatibility flags:\n";
  std::string ignored;
  for (const FlagDescriptor& f : kFlags) {
    if (f.action == FlagAction::kWarn) {
      if (f.short_flag != '\0')
        ignored += std::string(ignored.empty() ? "" : " ") + "-" + f.short_flag;
      continue;
    }
    out += HelpLine(FlagSpelling(f.short_flag, f.long_flag, f.arg_name), f.help);
  }
  out += HelpLine("-vv, -vvv", "verbosity 2 and 3 (log level debug, trace)");
  out += "\nAccepted for memcached compatibility and ignored with a warning: " + ignored +
         ", and every memcached 1.6 -o name.\n";
  return out;
}

uint64_t EffectivePageSize(const MemoryConfig& memory) {
  if (memory.page_size != 0) return memory.page_size;
  return std::bit_floor(std::clamp<uint64_t>(memory.limit / 1024, kMinPageSize, kMaxPageSize));
}

std::string_view EffectiveLogLevel(const LogConfig& log) {
  // memcached: -v errors and warnings, -vv client commands, -vvv internal state transitions.
  std::string_view implied = log.verbosity >= 3   ? "trace"
                             : log.verbosity == 2 ? "debug"
                             : log.verbosity == 1 ? "info"
                                                  : "off";
  return LevelRank(implied) < LevelRank(log.level) ? implied : std::string_view(log.level);
}

std::string Validate(Config& config) {
  const uint64_t item = config.items.max_size;
  const uint64_t limit = config.memory.limit;
  // memcached.c's checks, in its order and with its words after ours.
  if (item < kKiB) {
    return "items.max_size (-I) " + FormatSize(item) +
           " is too small: item max size cannot be less than 1024 bytes";
  }
  if (item > limit / 2) {
    return "items.max_size (-I) " + FormatSize(item) + " is more than half of memory.limit (-m) " +
           FormatSize(limit) +
           ": cannot set item size limit higher than 1/2 of memory max; raise -m to at least " +
           FormatSize(item * 2) + " or lower -I";
  }
  if (item > kGiB) {
    return "items.max_size (-I) " + FormatSize(item) +
           " is too large: cannot set item size limit higher than a gigabyte";
  }
  if (const uint64_t page = config.memory.page_size;
      page != 0 && (page < kMinPageSize || page > kMaxPageSize || (page & (page - 1)) != 0)) {
    return "memory.page_size " + FormatSize(page) +
           " is not allowed: 0 (auto) or a power of two from 64KiB to 1MiB";
  }
  if (config.memory.huge_pages && config.memory.allocator != "arena") {
    return "memory.huge_pages is true with memory.allocator " + config.memory.allocator +
           ": huge pages apply to allocator arena only (allowed: huge_pages false, or allocator "
           "arena)";
  }
  if (const uint64_t rss = EffectiveRssLimit(config.memory);
      rss != 0 && rss < limit + kRssMinAllowance) {
    return "memory.rss_limit (--rss-limit) " + FormatSize(rss) + " is below memory.limit (-m) " +
           FormatSize(limit) + " plus the minimum allowance of " + FormatSize(kRssMinAllowance) +
           " for buffers and pools: allowed: off, auto, or at least " +
           FormatSize(limit + kRssMinAllowance);
  }
  if (config.threads < 1) return "threads (-t) is 0: number of threads must be greater than 0";
  if (config.connections.max < 1) {
    return "connections.max (-c) is 0: maximum connections must be greater than 0";
  }
  if (config.log.verbosity > 3) {
    return "log.verbosity is " + std::to_string(config.log.verbosity) + ": must be 0..3";
  }
  if (config.listen.unix_socket.empty() && config.listen.address.empty()) {
    return "listen.address (-l) is empty and listen.unix_socket (-s) is not set: nothing to "
           "listen on";
  }
  const auto metrics = ParseHostPort(config.metrics.listen);
  const auto admin = ParseHostPort(config.admin.listen);
  if (config.metrics.enabled && !metrics) {
    return "metrics.listen \"" + config.metrics.listen + "\" must be HOST:PORT";
  }
  if (config.admin.enabled && !admin) {
    return "admin.listen \"" + config.admin.listen + "\" must be HOST:PORT";
  }
  if (config.metrics.enabled && config.admin.enabled && metrics->port != 0 &&
      metrics->host == admin->host && metrics->port == admin->port) {
    return "metrics.listen and admin.listen are both \"" + config.metrics.listen +
           "\": they need different ports";
  }
  if (config.listen.unix_socket.empty()) {
    const auto clash = [&](bool enabled, const std::optional<HostPort>& hp) {
      return enabled && hp && hp->port != 0 && hp->port == config.listen.port &&
             (hp->host == config.listen.address || hp->host == "0.0.0.0" ||
              config.listen.address == "0.0.0.0");
    };
    if (clash(config.metrics.enabled, metrics) || clash(config.admin.enabled, admin)) {
      return "listen.port (-p) " + std::to_string(config.listen.port) +
             " is also the port of metrics.listen or admin.listen: they need different ports";
    }
  }
  if (config.profile.prefix_delimiter.empty() || config.profile.prefix_delimiter.size() > 4) {
    return "profile.prefix_delimiter \"" + config.profile.prefix_delimiter +
           "\" must be 1..4 characters";
  }
  if (!ParseLeakRates(config.debug.leak)) {
    return "debug.leak \"" + config.debug.leak +
           "\" is not a leak list: allowed is empty (off) or comma-separated SITE:RATE, SITE one "
           "of a, b, c (each once), RATE bytes per second in 1..1GiB (suffixes k, m, g), e.g. "
           "\"a:64KiB,b:16KiB\"";
  }
  if (config.listen.udp_port != 0) {
    config.warnings.push_back("-U/--udp-port (listen.udp_port) " +
                              std::to_string(config.listen.udp_port) +
                              ": UDP is not served by kotoba-memd; the port is ignored");
  }
  return {};
}

LoadOutcome Load(int argc, const char* const* argv) {
  CommandLine cli;
  if (auto early = ParseCommandLine(argc, argv, cli)) return std::move(*early);

  Config config;
  if (!cli.config_path.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(cli.config_path, ec)) {
      return Exit(kExitUsage,
                  Error("cannot read config file \"" + cli.config_path + "\": is a directory"));
    }
    if (auto err = internal::ApplyYamlFile(cli.config_path, config); !err.empty()) {
      return Exit(kExitUsage, Error(err));
    }
  }
  for (const auto& [flag, value] : cli.assignments) {
    if (auto why = internal::ApplyText(*flag.setting, value, config); !why.empty()) {
      return Exit(kExitUsage,
                  Error("invalid value \"" + value + "\" for " + flag.Name() + ": " + why));
    }
  }
  if (cli.verbose > 0) config.log.verbosity = cli.verbose;
  if (cli.disable_evictions) config.memory.evictions = false;
  if (cli.enable_shutdown) config.commands.shutdown = true;
  if (cli.disable_flush_all) config.commands.flush_all = false;
  config.check_only = cli.check_only;
  config.config_path = cli.config_path;
  config.warnings = std::move(cli.warnings);
  if (auto err = Validate(config); !err.empty()) return Exit(kExitUsage, Error(err));

  LoadOutcome out;
  if (config.check_only) {
    out.action = LoadOutcome::kExit;
    out.exit_code = 0;
    out.message = "configuration OK";
  }
  out.config = std::move(config);
  return out;
}

std::vector<std::string> MemcachedConfArgs(std::string_view text) {
  std::vector<std::string> args;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> words;
    size_t pos = 0;
    while (pos < line.size()) {
      while (pos < line.size() && std::isspace(static_cast<unsigned char>(line[pos]))) ++pos;
      const size_t start = pos;
      while (pos < line.size() && !std::isspace(static_cast<unsigned char>(line[pos]))) ++pos;
      if (pos > start) words.emplace_back(line.substr(start, pos - start));
    }
    if (words.empty()) continue;
    // Debian's start-memcached turns "logfile PATH" into a redirect, not a flag.
    if (words[0] == "logfile") words[0] = "--logfile";
    args.insert(args.end(), words.begin(), words.end());
  }
  return args;
}

}  // namespace kmd::config
