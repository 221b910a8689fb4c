// TextSession: classic text commands against the Store; meta commands are in meta_commands.cc.
// Reply texts are memcached 1.6.18's (proto_text.c); see text_session.h for the contract.
#include "server/dispatch/text_session.h"

#include <cstring>
#include <string>
#include <type_traits>

#include "server/dispatch/meta_commands.h"
#include "server/dispatch/stats_report.h"

namespace kmd::dispatch {
namespace {

using protocol::ParseOutcome;
using protocol::text::Command;

// memcached REALTIME_MAXDELTA: larger exptimes are absolute Unix times.
// memcached MAX_NUMBER_OF_SLAB_CLASSES (for `stats cachedump` argument checks).
constexpr uint32_t kMaxSlabClasses = 64;

// The latency label of a request; meta commands count as the classic command they act as.
LatencyCommand LatencyOf(const protocol::text::Request& req) {
  switch (req.command) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
    case Command::kMetaGet:
      return LatencyCommand::kGet;
    case Command::kSet:
      return LatencyCommand::kSet;
    case Command::kAdd:
      return LatencyCommand::kAdd;
    case Command::kReplace:
      return LatencyCommand::kReplace;
    case Command::kAppend:
      return LatencyCommand::kAppend;
    case Command::kPrepend:
      return LatencyCommand::kPrepend;
    case Command::kCas:
      return LatencyCommand::kCas;
    case Command::kIncr:
      return LatencyCommand::kIncr;
    case Command::kDecr:
      return LatencyCommand::kDecr;
    case Command::kDelete:
    case Command::kMetaDelete:
      return LatencyCommand::kDelete;
    case Command::kTouch:
      return LatencyCommand::kTouch;
    case Command::kFlushAll:
      return LatencyCommand::kFlush;
    case Command::kStats:
      return LatencyCommand::kStats;
    case Command::kMetaSet:
      if (req.meta.has_cas) return LatencyCommand::kCas;
      switch (req.meta.mode) {
        case 'E':
        case 'e':
          return LatencyCommand::kAdd;
        case 'A':
        case 'a':
          return LatencyCommand::kAppend;
        case 'P':
        case 'p':
          return LatencyCommand::kPrepend;
        case 'R':
        case 'r':
          return LatencyCommand::kReplace;
        default:
          return LatencyCommand::kSet;
      }
    case Command::kMetaArithmetic:
      return req.meta.mode == 'D' || req.meta.mode == 'd' || req.meta.mode == '-'
                 ? LatencyCommand::kDecr
                 : LatencyCommand::kIncr;
    default:
      return LatencyCommand::kOther;
  }
}

cache::DeleteArgs KeyOnly(std::string_view key) {
  cache::DeleteArgs args;
  args.key = key;
  return args;
}

}  // namespace

TextSession::TextSession(DispatchContext& ctx, net::WorkerMemory* memory)
    : ProtocolSession(ctx, memory) {}

net::ProcessResult TextSession::Process(std::string_view input) {
  memory::BatchArena::Scope batch(arena());
  Request& req = *arena().New<Request>();  // trivially destructible: the reset frees it
  static_assert(std::is_trivially_destructible_v<Request>);
  net::ProcessResult result;
  size_t pos = 0;
  size_t served = 0;
  laps_.Start();
  while (pos < input.size()) {
    if (MustPause(served++, &result)) break;
    std::string_view rest = input.substr(pos);
    protocol::text::ParseResult r = protocol::text::Parse(rest, ctx_.limits, &req);
    if (r.close) {
      result.close = true;
      break;
    }
    if (r.outcome == ParseOutcome::kNeedMore) break;
    pos += r.consumed;
    if (r.outcome == ParseOutcome::kBad) {
      Rejected(req, r);
      laps_.Start();
      if (r.swallow > 0) {
        size_t available = input.size() - pos;
        if (available >= r.swallow) {
          pos += r.swallow;
        } else {
          // The rest of the rejected value has not arrived: the connection discards it unbuffered.
          result.swallow = r.swallow - available;
          pos = input.size();
          break;
        }
      }
      continue;
    }
    const bool close = Execute(req);
    laps_.End(LatencyOf(req));
    if (ctx_.debug_leak != nullptr) ctx_.debug_leak->OnRequest();
    if (close) {
      result.close = true;
      break;
    }
  }
  result.consumed = pos;
  return result;
}

void TextSession::Line(std::string_view line) {
  char* p = out_.AppendUninitialized(line.size() + 2);
  std::memcpy(p, line.data(), line.size());
  p[line.size()] = '\r';
  p[line.size() + 1] = '\n';
}

void TextSession::Reply(const Request& req, std::string_view line) {
  if (!req.noreply) Line(line);
}

void TextSession::Rejected(const Request& req, const protocol::text::ParseResult& r) {
  // memcached unlinks the old value when a set cannot be stored, so a reader never sees stale
  // data (classic: set only; meta: every ms mode).
  if (r.too_large && (req.command == Command::kSet || req.command == Command::kMetaSet)) {
    ctx_.store->Discard(req.key());
  }
  if (!r.error.empty()) Line(r.error);
}

bool TextSession::Execute(const Request& req) {
  switch (req.command) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      Get(req);
      return false;
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kAppend:
    case Command::kPrepend:
    case Command::kCas:
      Update(req);
      return false;
    case Command::kIncr:
    case Command::kDecr:
      Arith(req);
      return false;
    case Command::kDelete:
      Delete(req);
      return false;
    case Command::kTouch:
      Touch(req);
      return false;
    case Command::kFlushAll:
      FlushAll(req);
      return false;
    case Command::kVersion: {
      std::string line = "VERSION ";
      line += kWireVersion;
      Line(line);
      return false;
    }
    case Command::kVerbosity:
      ctx_.verbosity.store(static_cast<int>(req.number));
      Reply(req, "OK");
      return false;
    case Command::kStats:
      Stats(req);
      return false;
    case Command::kQuit:
      return true;
    case Command::kShutdown:
      return Shutdown(req);
    case Command::kCacheMemlimit:
      CacheMemlimit(req);
      return false;
    case Command::kMetaNoop:
      Line("MN");
      return false;
    case Command::kMetaGet:
      MetaGet(ctx_, req, &out_);
      return false;
    case Command::kMetaSet:
      MetaSet(ctx_, req, &out_);
      return false;
    case Command::kMetaDelete:
      MetaDelete(ctx_, req, &out_);
      return false;
    case Command::kMetaArithmetic:
      MetaArithmetic(ctx_, req, &out_);
      return false;
    case Command::kMetaDebug:
      MetaDebug(ctx_, req, &out_);
      return false;
    case Command::kNone:
      Line("ERROR");
      return false;
  }
  return false;
}

void TextSession::Get(const Request& req) {
  const bool touch = req.command == Command::kGat || req.command == Command::kGats;
  const bool with_cas = req.command == Command::kGets || req.command == Command::kGats;
  char line[protocol::text::kMaxValueLine];
  protocol::text::KeyIterator keys = req.Keys();
  std::string_view key;
  while (keys.Next(&key)) {
    cache::GetArgs args;
    args.key = key;
    args.want_cas = with_cas;
    if (touch) args.touch_exptime = req.exptime;
    cache::GetResult r = ctx_.store->Get(args);
    if (r.status != cache::OpStatus::kOk || !r.ref) continue;
    char* end = protocol::text::WriteValueLine(line, key, r.info.flags, r.info.value_size,
                                               with_cas ? &r.info.cas : nullptr);
    out_.Append(line, static_cast<size_t>(end - line));
    out_.AppendValue(std::move(r.ref));
    out_.Append("\r\n");
  }
  out_.Append("END\r\n");
}

void TextSession::Update(const Request& req) {
  cache::StoreArgs args;
  args.key = req.key();
  args.value = req.data;
  args.flags = req.flags;
  args.exptime = req.exptime;
  args.want_cas = false;  // the text answer is STORED: no CAS handed out, none stored yet
  switch (req.command) {
    case Command::kAdd:
      args.mode = cache::StoreMode::kAdd;
      break;
    case Command::kReplace:
      args.mode = cache::StoreMode::kReplace;
      break;
    case Command::kAppend:
      args.mode = cache::StoreMode::kAppend;
      break;
    case Command::kPrepend:
      args.mode = cache::StoreMode::kPrepend;
      break;
    default:
      args.mode = cache::StoreMode::kSet;
      break;
  }
  if (req.command == Command::kCas) {
    if (req.number == 0) {
      // A live item never has CAS 0, so memcached answers EXISTS on a hit and NOT_FOUND on a miss;
      // the Store reads compare_cas 0 as "no compare", hence the lookup here.
      cache::GetArgs probe;
      probe.key = args.key;
      probe.bump = false;
      probe.want_ref = false;
      probe.want_cas = false;
      bool hit = ctx_.store->Get(probe).status == cache::OpStatus::kOk;
      Reply(req, hit ? "EXISTS" : "NOT_FOUND");
      return;
    }
    args.compare_cas = req.number;
  }
  cache::StoreResult r = ctx_.store->Set(args);
  switch (r.status) {
    case cache::OpStatus::kOk:
      Reply(req, "STORED");
      return;
    case cache::OpStatus::kExists:
      Reply(req, "EXISTS");
      return;
    case cache::OpStatus::kNotFound:
      Reply(req, "NOT_FOUND");
      return;
    case cache::OpStatus::kNotStored:
      Reply(req, "NOT_STORED");
      return;
    case cache::OpStatus::kTooLarge:
    case cache::OpStatus::kNoMemory:
    case cache::OpStatus::kNonNumeric:
      // The store has already dropped the old value of a refused plain set, as memcached does.
      Reply(req, r.status == cache::OpStatus::kTooLarge
                     ? "SERVER_ERROR object too large for cache"
                     : "SERVER_ERROR out of memory storing object");
      return;
  }
}

void TextSession::Arith(const Request& req) {
  cache::ArithArgs args;
  args.key = req.key();
  args.incr = req.command == Command::kIncr;
  args.delta = req.number;
  cache::ArithResult r = ctx_.store->Arith(args);
  switch (r.status) {
    case cache::OpStatus::kOk: {
      char buf[24];
      char* end = protocol::text::WriteU64(buf, r.value);
      Reply(req, std::string_view(buf, static_cast<size_t>(end - buf)));
      return;
    }
    case cache::OpStatus::kNotFound:
      Reply(req, "NOT_FOUND");
      return;
    case cache::OpStatus::kNonNumeric:
      Reply(req, "CLIENT_ERROR cannot increment or decrement non-numeric value");
      return;
    default:
      Reply(req, "SERVER_ERROR out of memory");
      return;
  }
}

void TextSession::Delete(const Request& req) {
  cache::OpStatus s = ctx_.store->Delete(KeyOnly(req.key()));
  Reply(req, s == cache::OpStatus::kOk ? "DELETED" : "NOT_FOUND");
}

void TextSession::Touch(const Request& req) {
  cache::OpStatus s = ctx_.store->Touch(req.key(), req.exptime);
  Reply(req, s == cache::OpStatus::kOk ? "TOUCHED" : "NOT_FOUND");
}

void TextSession::FlushAll(const Request& req) {
  if (!ctx_.flush_enabled) {
    Reply(req, "CLIENT_ERROR flush_all not allowed");  // memcached -F
    return;
  }
  // A delay <= 0 flushes now; the store applies memcached's relative/absolute rule.
  ctx_.store->Flush(req.has_exptime && req.exptime > 0 ? req.exptime : 0);
  Reply(req, "OK");
}

void TextSession::Stats(const Request& req) {
  std::string_view group;
  if (req.ntokens >= 2) {
    group = req.tokens[1];
    if (group == "detail") {
      std::string_view arg = req.ntokens >= 3 ? req.tokens[2] : std::string_view();
      if (arg == "on" || arg == "off") {
        Line("OK");
      } else if (arg == "dump") {
        // No per-prefix statistics are kept, so the dump is empty (as memcached's with none).
        Line("END");
      } else {
        Line("CLIENT_ERROR usage: stats detail on|off|dump");
      }
      return;
    }
    if (group == "cachedump") {
      if (req.ntokens < 4) {
        Line("CLIENT_ERROR bad command line");
        return;
      }
      uint32_t id = 0;
      uint32_t limit = 0;
      if (!protocol::text::ParseUint32(req.tokens[2], &id) ||
          !protocol::text::ParseUint32(req.tokens[3], &limit)) {
        Line("CLIENT_ERROR bad command line format");
        return;
      }
      if (id >= kMaxSlabClasses) {
        Line("CLIENT_ERROR Illegal slab id");
        return;
      }
      // The store offers no per-class key walk; an empty dump is the honest answer.
      Line("END");
      return;
    }
  }
  stat_scratch_.clear();
  StatsGroupStatus s = CollectStats(group, ctx_, &stat_scratch_);
  if (s == StatsGroupStatus::kUnknown) {
    Line("ERROR");
    return;
  }
  if (s == StatsGroupStatus::kReset) {
    Line("RESET");
    return;
  }
  for (const auto& [name, value] : stat_scratch_) {
    out_.Append("STAT ");
    out_.Append(name);
    out_.Append(" ");
    out_.Append(value);
    out_.Append("\r\n");
  }
  out_.Append("END\r\n");
}

bool TextSession::Shutdown(const Request& req) {
  if (!ctx_.shutdown) {
    Line("ERROR: shutdown not enabled");
    return false;
  }
  if (req.ntokens == 1 || (req.ntokens == 2 && req.tokens[1] == "graceful")) {
    ctx_.shutdown();
    return true;
  }
  Line("CLIENT_ERROR invalid shutdown mode");
  return false;
}

void TextSession::CacheMemlimit(const Request& req) {
  if (req.number < 8) {
    Reply(req, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m");
  } else if (req.number > 1000000000) {
    Reply(req, "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes");
  } else {
    // The store's memory limit is fixed at start-up.
    Reply(req, "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust");
  }
}

}  // namespace kmd::dispatch
