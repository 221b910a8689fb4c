// FrameNamer: dladdr + __cxa_demangle, one lookup per distinct address.
#include "core/profile/symbolize.h"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace kmd::profile {
namespace {

std::string Demangle(const char* symbol) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(symbol, nullptr, nullptr, &status), &std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(symbol);
}

std::string_view Basename(const char* path) {
  std::string_view p(path == nullptr ? "?" : path);
  const size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

const std::string& FrameNamer::Name(void* return_address) {
  auto it = cache_.find(return_address);
  if (it != cache_.end()) return it->second;
  // A return address points past the call; the call itself is one byte earlier.
  const auto pc = reinterpret_cast<uintptr_t>(return_address) - 1;
  Dl_info info{};
  std::string name;
  if (dladdr(reinterpret_cast<void*>(pc), &info) != 0 && info.dli_sname != nullptr) {
    name = ShortFrame(Demangle(info.dli_sname));
  } else {
    char offset[32];
    const auto base = reinterpret_cast<uintptr_t>(info.dli_fbase);
    std::snprintf(offset, sizeof(offset), "+0x%lx", static_cast<unsigned long>(pc - base));
    name = std::string(Basename(info.dli_fname)).append(offset);
  }
  return cache_.emplace(return_address, std::move(name)).first->second;
}

size_t SiteFrame(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string_view n = names[i];
    if (StartsWith(n, "operator new") || StartsWith(n, "std::") || StartsWith(n, "__gnu_cxx::") ||
        StartsWith(n, "void std::") || StartsWith(n, "fmt::") || StartsWith(n, "boost::")) {
      continue;
    }
    return i;
  }
  return 0;
}

std::string ShortFrame(std::string_view name) {
  std::string out;
  int angle = 0;
  int paren = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (angle == 0 && paren == 0 && out.ends_with("operator")) {
      // The operator's own symbol is part of the name, not a bracket: copy it.
      const std::string_view rest = name.substr(i);
      const size_t len = rest.starts_with("()") || rest.starts_with("[]") ||
                                 rest.starts_with("<<") || rest.starts_with(">>") ||
                                 rest.starts_with("<=") || rest.starts_with(">=")
                             ? 2
                             : (rest.starts_with("<") || rest.starts_with(">") ? 1 : 0);
      if (len > 0) {
        out.append(rest.substr(0, len));
        i += len - 1;
        continue;
      }
    }
    if (c == '<') {
      if (angle++ == 0 && paren == 0) out += "<>";
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == '(') {
      ++paren;
    } else if (c == ')' && paren > 0) {
      --paren;
    } else if (angle == 0 && paren == 0) {
      out += c;
    }
  }
  return out;
}

std::string CollapsedFrame(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == ';') c = ':';
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return out;
}

}  // namespace kmd::profile
