// Meta commands against the Store, reply by reply as memcached 1.6.18's process_m*_command.
// See meta_commands.h for the q rules and the E/x superset.
#include "server/dispatch/meta_commands.h"

#include <cstdio>

namespace kmd::dispatch {
namespace {

// The status word of a meta hit: "VA <size>" when the value follows, "HD" otherwise.
std::string_view HitStatus(bool with_value, uint64_t size, char (&buf)[24]) {
  if (!with_value) return "HD";
  buf[0] = 'V';
  buf[1] = 'A';
  buf[2] = ' ';
  return std::string_view(buf, static_cast<size_t>(protocol::text::WriteU64(buf + 3, size) - buf));
}

using protocol::text::MetaArgs;
using protocol::text::MetaLine;
using protocol::text::Request;

int64_t Now(DispatchContext& ctx) { return ctx.store->config().clock->NowSeconds(); }

// memcached prints remaining TTL as -1 for immortal items.
int64_t RemainingTtl(DispatchContext& ctx, int64_t exptime) {
  return exptime == 0 ? -1 : exptime - Now(ctx);
}

// Echoes `f` if it is one every meta reply carries the same way (O opaque, k key); false for
// the command-specific flags.
bool EchoFlag(const Request& req, const protocol::text::MetaFlag& f, MetaLine* line) {
  if (f.flag == 'O') {
    line->Raw(" O").Raw(f.token);
  } else if (f.flag == 'k') {
    line->Key(req.key(), req.meta.base64_key);
  } else {
    return false;
  }
  return true;
}

// The flags every meta reply echoes: opaque and key, in request order.
void EchoOpaqueAndKey(const Request& req, MetaLine* line) {
  for (uint8_t i = 0; i < req.meta.count; ++i) EchoFlag(req, req.meta.flags[i], line);
}

void Emit(OutputBuffer* out, MetaLine& line) { out->Append(line.Finish()); }

void ErrorLine(OutputBuffer* out, std::string_view text) {
  out->Append(text);
  out->Append("\r\n");
}

// A live item never has CAS 0 while the Store reads compare_cas 0 as "no compare"; memcached's
// answer to "C0" is therefore EX on a hit and NF on a miss.
bool ProbeHit(DispatchContext& ctx, std::string_view key) {
  cache::GetArgs probe;
  probe.key = key;
  probe.bump = false;
  probe.want_ref = false;
  probe.want_cas = false;
  return ctx.store->Get(probe).status == cache::OpStatus::kOk;
}

}  // namespace

void MetaGet(DispatchContext& ctx, const Request& req, OutputBuffer* out) {
  const MetaArgs& m = req.meta;
  cache::GetArgs args;
  args.key = req.key();
  args.bump = !m.no_update;
  args.want_ref = m.value;
  args.want_cas = m.Has('c');
  if (m.has_ttl) args.touch_exptime = m.ttl;
  if (m.vivify) args.vivify_exptime = m.vivify_ttl;
  // A negative R becomes a time already past in memcached, so it can never win.
  if (m.has_recache && m.recache_ttl >= 0)
    args.recache_below = static_cast<uint32_t>(m.recache_ttl);
  cache::GetResult r = ctx.store->Get(args);

  if (r.status != cache::OpStatus::kOk) {
    if (m.no_reply) return;
    MetaLine line("EN");
    EchoOpaqueAndKey(req, &line);
    Emit(out, line);
    return;
  }
  const cache::ItemInfo& info = r.info;
  char status[24];
  MetaLine line(HitStatus(m.value, info.value_size, status));
  for (uint8_t i = 0; i < m.count; ++i) {
    const auto& f = m.flags[i];
    switch (f.flag) {
      case 's':
        line.Flag('s', info.value_size);
        break;
      case 't':
        line.FlagSigned('t', RemainingTtl(ctx, info.exptime));
        break;
      case 'c':
        line.Flag('c', info.cas);
        break;
      case 'f':
        line.Flag('f', info.flags);
        break;
      case 'l':
        line.Flag('l', info.last_access_ago);
        break;
      case 'h':
        line.Flag('h', info.fetched_before ? 1 : 0);
        break;
      default:
        EchoFlag(req, f, &line);
        break;
    }
  }
  // memcached's order: Z (someone already holds the token), X (stale), W (this caller won).
  if (info.win_sent_before) line.Flag('Z');
  if (info.stale) line.Flag('X');
  if (info.win) line.Flag('W');
  Emit(out, line);
  if (m.value) {
    if (r.ref) out->AppendValue(std::move(r.ref));
    out->Append("\r\n");
  }
}

void MetaSet(DispatchContext& ctx, const Request& req, OutputBuffer* out) {
  const MetaArgs& m = req.meta;
  cache::StoreArgs args;
  args.key = req.key();
  args.value = req.data;
  args.flags = m.client_flags;
  args.exptime = m.has_ttl ? m.ttl : 0;
  args.want_cas = m.Has('c');
  switch (m.mode) {
    case 'E':
      args.mode = cache::StoreMode::kAdd;
      break;
    case 'A':
      args.mode = cache::StoreMode::kAppend;
      break;
    case 'P':
      args.mode = cache::StoreMode::kPrepend;
      break;
    case 'R':
      args.mode = cache::StoreMode::kReplace;
      break;
    default:
      args.mode = cache::StoreMode::kSet;
      break;
  }
  // memcached upgrades set and replace with C to its CAS mode (a miss is NF, not NS); append and
  // prepend compare too; add ignores C.
  bool cas_mode =
      m.has_cas && (args.mode == cache::StoreMode::kSet || args.mode == cache::StoreMode::kReplace);
  if (cas_mode) args.mode = cache::StoreMode::kSet;
  if (m.has_cas && args.mode != cache::StoreMode::kAdd) args.compare_cas = m.cas;
  if (m.has_new_cas) args.new_cas = m.new_cas;
  args.invalidate = m.set_stale && cas_mode;

  cache::StoreResult r;
  if (m.has_cas && m.cas == 0 && args.mode != cache::StoreMode::kAdd) {
    r.status = ProbeHit(ctx, args.key) ? cache::OpStatus::kExists : cache::OpStatus::kNotFound;
  } else {
    r = ctx.store->Set(args);
  }
  const char* status = nullptr;
  switch (r.status) {
    case cache::OpStatus::kOk:
      if (m.no_reply) return;
      status = "HD";
      break;
    case cache::OpStatus::kExists:
      status = "EX";
      break;
    case cache::OpStatus::kNotFound:
      status = "NF";
      break;
    case cache::OpStatus::kNotStored:
      status = "NS";
      break;
    case cache::OpStatus::kTooLarge:
    case cache::OpStatus::kNoMemory:
    case cache::OpStatus::kNonNumeric: {
      // memcached unlinks the old item when a meta set cannot allocate, whatever the mode.
      cache::DeleteArgs del;
      del.key = args.key;
      ctx.store->Delete(del);
      ErrorLine(out, r.status == cache::OpStatus::kTooLarge
                         ? "SERVER_ERROR object too large for cache"
                         : "SERVER_ERROR out of memory storing object");
      return;
    }
  }
  MetaLine line(status);
  for (uint8_t i = 0; i < m.count; ++i) {
    const auto& f = m.flags[i];
    if (f.flag == 'c') {
      line.Flag('c', r.status == cache::OpStatus::kOk ? r.cas : 0);
    } else {
      EchoFlag(req, f, &line);
    }
  }
  Emit(out, line);
}

void MetaDelete(DispatchContext& ctx, const Request& req, OutputBuffer* out) {
  const MetaArgs& m = req.meta;
  cache::OpStatus s;
  if (m.has_cas && m.cas == 0) {
    s = ProbeHit(ctx, req.key()) ? cache::OpStatus::kExists : cache::OpStatus::kNotFound;
  } else if (m.remove_value && !m.set_stale) {
    // x: keep the item (flags, TTL) but drop its value.
    cache::GetArgs probe;
    probe.key = req.key();
    probe.bump = false;
    probe.want_ref = false;
    cache::GetResult g = ctx.store->Get(probe);
    if (g.status != cache::OpStatus::kOk) {
      s = cache::OpStatus::kNotFound;
    } else if (m.has_cas && g.info.cas != m.cas) {
      s = cache::OpStatus::kExists;
    } else {
      cache::StoreArgs set;
      set.key = req.key();
      set.flags = g.info.flags;
      set.exptime = g.info.exptime;
      set.compare_cas = g.info.cas;
      set.want_cas = false;
      if (m.has_new_cas) set.new_cas = m.new_cas;
      s = ctx.store->Set(set).status;
    }
  } else {
    cache::DeleteArgs args;
    args.key = req.key();
    if (m.has_cas) args.compare_cas = m.cas;
    args.invalidate = m.set_stale;
    if (m.set_stale && m.has_ttl) args.new_exptime = m.ttl;
    if (m.has_new_cas) args.new_cas = m.new_cas;
    s = ctx.store->Delete(args);
  }
  if (s == cache::OpStatus::kNoMemory) {  // md I E: no memory for the item's CAS field
    ErrorLine(out, "SERVER_ERROR out of memory");
    return;
  }
  const char* status = "NF";
  if (s == cache::OpStatus::kOk) {
    if (m.no_reply) return;
    status = "HD";
  } else if (s == cache::OpStatus::kExists) {
    status = "EX";
  }
  MetaLine line(status);
  EchoOpaqueAndKey(req, &line);
  Emit(out, line);
}

void MetaArithmetic(DispatchContext& ctx, const Request& req, OutputBuffer* out) {
  const MetaArgs& m = req.meta;
  cache::ArithArgs args;
  args.key = req.key();
  args.incr = !(m.mode == 'D' || m.mode == '-');
  args.delta = m.delta;
  args.create = m.vivify;
  args.initial = m.initial;
  args.create_exptime = m.vivify_ttl;
  args.compare_cas = m.has_cas ? m.cas : 0;  // memcached's do_add_delta skips a zero CAS too
  if (m.has_new_cas) args.new_cas = m.new_cas;
  if (m.has_ttl) args.touch_exptime = m.ttl;
  cache::ArithResult r = ctx.store->Arith(args);

  switch (r.status) {
    case cache::OpStatus::kOk:
      break;
    case cache::OpStatus::kNotFound:
    case cache::OpStatus::kExists: {
      MetaLine line(r.status == cache::OpStatus::kExists ? "EX" : "NF");
      EchoOpaqueAndKey(req, &line);
      Emit(out, line);
      return;
    }
    case cache::OpStatus::kNonNumeric:
      ErrorLine(out, "CLIENT_ERROR cannot increment or decrement non-numeric value");
      return;
    default:
      ErrorLine(out, "SERVER_ERROR out of memory");
      return;
  }
  // memcached suppresses a q reply only on the plain success path, not after creating the item.
  if (m.no_reply && !r.created) return;
  char value[24];
  size_t vlen = static_cast<size_t>(protocol::text::WriteU64(value, r.value) - value);
  char status[24];
  MetaLine line(HitStatus(m.value, vlen, status));
  for (uint8_t i = 0; i < m.count; ++i) {
    const auto& f = m.flags[i];
    switch (f.flag) {
      case 'c':
        line.Flag('c', r.cas);
        break;
      case 't':
        line.FlagSigned('t', RemainingTtl(ctx, r.info.exptime));
        break;
      default:
        EchoFlag(req, f, &line);
        break;
    }
  }
  if (m.value) line.Raw("\r\n").Raw(std::string_view(value, vlen));
  Emit(out, line);
}

void MetaDebug(DispatchContext& ctx, const Request& req, OutputBuffer* out) {
  cache::GetArgs args;
  args.key = req.key();
  args.bump = false;
  args.want_ref = false;
  cache::GetResult r = ctx.store->Get(args);
  if (r.status != cache::OpStatus::kOk) {
    ErrorLine(out, "EN");
    return;
  }
  const cache::ItemInfo& info = r.info;
  MetaLine line("ME ");
  if (req.meta.base64_key) {
    char enc[protocol::text::Base64EncodedSize(256)];
    line.Raw(std::string_view(enc, protocol::text::Base64Encode(req.key(), enc)));
  } else {
    line.Raw(req.key());
  }
  // memcached prints exp as now - exptime (negative for a live item), a quirk clients may parse.
  int64_t exp = info.exptime == 0 ? -1 : Now(ctx) - info.exptime;
  // The item's size in memory as memcached reports it: header (with its optional fields) + key +
  // value.
  size_t size = static_cast<size_t>(info.header_size) + req.key().size() + info.value_size;
  char tail[160];
  int n = std::snprintf(
      tail, sizeof(tail), " exp=%lld la=%llu cas=%llu fetch=%s cls=%u size=%zu",
      static_cast<long long>(exp), static_cast<unsigned long long>(info.last_access_ago),
      static_cast<unsigned long long>(info.cas), info.fetched_before ? "yes" : "no",
      static_cast<unsigned>(info.slab_class), size);
  line.Raw(std::string_view(tail, static_cast<size_t>(n)));
  Emit(out, line);
}

}  // namespace kmd::dispatch
