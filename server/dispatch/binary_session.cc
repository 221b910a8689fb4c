// BinarySession: memcached 1.6.18's proto_bin.c semantics over the Store API. Every answer here was
// compared with /usr/bin/memcached (status, body text, CAS field, which quiet answers are dropped).
#include "server/dispatch/binary_session.h"

#include <cstring>

#include "server/dispatch/stats_report.h"

namespace kmd::dispatch {

using protocol::ParseOutcome;
using protocol::binary::kHeaderSize;
using protocol::binary::Opcode;
using protocol::binary::ParseResult;
using protocol::binary::ResponseHeader;

namespace {

bool ReturnsKey(Opcode op) {
  return op == Opcode::kGetK || op == Opcode::kGetKQ || op == Opcode::kGatK || op == Opcode::kGatKQ;
}

bool IsSetFamily(Opcode op) { return op == Opcode::kSet || op == Opcode::kSetQ; }

LatencyCommand LatencyOf(Opcode op) {
  switch (op) {
    case Opcode::kGet:
    case Opcode::kGetQ:
    case Opcode::kGetK:
    case Opcode::kGetKQ:
    case Opcode::kGat:
    case Opcode::kGatQ:
    case Opcode::kGatK:
    case Opcode::kGatKQ:
      return LatencyCommand::kGet;
    case Opcode::kSet:
    case Opcode::kSetQ:
      return LatencyCommand::kSet;
    case Opcode::kAdd:
    case Opcode::kAddQ:
      return LatencyCommand::kAdd;
    case Opcode::kReplace:
    case Opcode::kReplaceQ:
      return LatencyCommand::kReplace;
    case Opcode::kAppend:
    case Opcode::kAppendQ:
      return LatencyCommand::kAppend;
    case Opcode::kPrepend:
    case Opcode::kPrependQ:
      return LatencyCommand::kPrepend;
    case Opcode::kIncrement:
    case Opcode::kIncrementQ:
      return LatencyCommand::kIncr;
    case Opcode::kDecrement:
    case Opcode::kDecrementQ:
      return LatencyCommand::kDecr;
    case Opcode::kDelete:
    case Opcode::kDeleteQ:
      return LatencyCommand::kDelete;
    case Opcode::kTouch:
      return LatencyCommand::kTouch;
    case Opcode::kFlush:
    case Opcode::kFlushQ:
      return LatencyCommand::kFlush;
    case Opcode::kStat:
      return LatencyCommand::kStats;
    default:
      return LatencyCommand::kOther;
  }
}

}  // namespace

BinarySession::BinarySession(DispatchContext& ctx, net::WorkerMemory* memory)
    : ProtocolSession(ctx, memory) {}

net::ProcessResult BinarySession::Process(std::string_view input) {
  net::ProcessResult result;
  size_t pos = 0;
  size_t served = 0;
  laps_.Start();
  while (pos < input.size()) {
    if (MustPause(served++, &result)) break;
    Request req;
    ParseResult pr = protocol::binary::Parse(input.substr(pos), ctx_.limits, &req);
    if (pr.outcome == ParseOutcome::kNeedMore) break;
    if (pr.outcome == ParseOutcome::kBad) {
      if (pr.answer) {
        Error(req, pr.status);
        // memcached unlinks the old item when a SET cannot be stored, so a stale value never
        // outlives a failed overwrite (the store does the same for the sets it refuses).
        if (pr.status == Status::kTooLarge && IsSetFamily(req.opcode)) {
          ctx_.store->Discard(req.key);
        }
      }
      pos += pr.consumed;
      laps_.Start();
      if (pr.close) {
        result.close = true;
        break;
      }
      if (pr.swallow > 0) {
        // The connection discards the rest of the body (possibly not yet received) before
        // calling us again; nothing of it is buffered.
        result.swallow = static_cast<size_t>(pr.swallow);
        break;
      }
      continue;
    }
    pos += pr.consumed;
    const bool close = Execute(req);
    laps_.End(LatencyOf(req.opcode));
    if (ctx_.debug_leak != nullptr) ctx_.debug_leak->OnRequest();
    if (close) {
      result.close = true;
      break;
    }
  }
  result.consumed = pos;
  return result;
}

bool BinarySession::Execute(const Request& req) {
  switch (req.opcode) {
    case Opcode::kGet:
    case Opcode::kGetQ:
    case Opcode::kGetK:
    case Opcode::kGetKQ:
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatQ:
    case Opcode::kGatK:
    case Opcode::kGatKQ:
      GetOrTouch(req);
      return false;
    case Opcode::kSet:
    case Opcode::kSetQ:
    case Opcode::kAdd:
    case Opcode::kAddQ:
    case Opcode::kReplace:
    case Opcode::kReplaceQ:
      Update(req);
      return false;
    case Opcode::kAppend:
    case Opcode::kAppendQ:
    case Opcode::kPrepend:
    case Opcode::kPrependQ:
      Concat(req);
      return false;
    case Opcode::kDelete:
    case Opcode::kDeleteQ:
      Remove(req);
      return false;
    case Opcode::kIncrement:
    case Opcode::kIncrementQ:
    case Opcode::kDecrement:
    case Opcode::kDecrementQ:
      Arith(req);
      return false;
    case Opcode::kFlush:
    case Opcode::kFlushQ:
      Flush(req);
      return false;
    case Opcode::kNoop:
      Respond(req, Status::kSuccess, 0, {}, {}, {});
      return false;
    case Opcode::kVersion:
      Respond(req, Status::kSuccess, 0, {}, {}, kWireVersion);
      return false;
    case Opcode::kQuit:
      Respond(req, Status::kSuccess, 0, {}, {}, {});
      return true;
    case Opcode::kQuitQ:
      return true;
    case Opcode::kStat:
      Stat(req);
      return false;
    default:
      // The parser answers every other opcode itself; reaching here is a codec/session mismatch.
      Error(req, Status::kUnknownCommand);
      return false;
  }
}

void BinarySession::GetOrTouch(const Request& req) {
  const bool touch = req.opcode == Opcode::kTouch || req.opcode == Opcode::kGat ||
                     req.opcode == Opcode::kGatQ || req.opcode == Opcode::kGatK ||
                     req.opcode == Opcode::kGatKQ;
  const bool return_value = req.opcode != Opcode::kTouch;
  const bool return_key = ReturnsKey(req.opcode);
  cache::GetArgs args;
  args.key = req.key;
  args.want_ref = return_value;
  if (touch) args.touch_exptime = static_cast<int64_t>(req.exptime);
  cache::GetResult got = ctx_.store->Get(args);

  if (got.status != cache::OpStatus::kOk || (return_value && !got.ref)) {
    if (protocol::binary::IsQuiet(req.opcode)) return;
    if (return_key) {
      // memcached answers a GETK/GATK miss with the key and no text.
      Respond(req, Status::kKeyNotFound, 0, {}, req.key, {});
    } else {
      Error(req, Status::kKeyNotFound);
    }
    return;
  }
  const size_t value_size = return_value ? got.ref.value_size() : 0;
  const size_t key_size = return_key ? req.key.size() : 0;
  ResponseHeader h;
  h.opcode = req.opcode;
  h.status = Status::kSuccess;
  h.extras_length = protocol::binary::kGetResponseExtras;
  h.key_length = static_cast<uint16_t>(key_size);
  h.body_length = static_cast<uint32_t>(h.extras_length + key_size + value_size);
  h.opaque = req.opaque;
  h.cas = got.info.cas;
  char* p = out_.AppendUninitialized(kHeaderSize + h.extras_length + key_size);
  protocol::binary::WriteResponseHeader(h, p);
  protocol::binary::StoreBe32(p + kHeaderSize, got.info.flags);
  if (key_size > 0) std::memcpy(p + kHeaderSize + h.extras_length, req.key.data(), key_size);
  if (return_value) out_.AppendValue(std::move(got.ref));
}

void BinarySession::Update(const Request& req) {
  cache::StoreArgs args;
  args.key = req.key;
  args.value = req.value;
  args.flags = req.flags;
  args.exptime = static_cast<int64_t>(req.exptime);
  // A quiet store answers nothing on success: no CAS handed out, none stored yet.
  args.want_cas = !protocol::binary::IsQuiet(req.opcode);
  // memcached turns any set/add/replace carrying a CAS into a plain CAS store (NREAD_CAS).
  const bool is_cas = req.cas != 0;
  if (is_cas) {
    args.mode = cache::StoreMode::kSet;
    args.compare_cas = req.cas;
  } else if (req.opcode == Opcode::kAdd || req.opcode == Opcode::kAddQ) {
    args.mode = cache::StoreMode::kAdd;
  } else if (req.opcode == Opcode::kReplace || req.opcode == Opcode::kReplaceQ) {
    args.mode = cache::StoreMode::kReplace;
  } else {
    args.mode = cache::StoreMode::kSet;
  }
  const cache::StoreResult stored = ctx_.store->Set(args);
  if (AnswerStoreOutcome(req, stored)) return;
  switch (stored.status) {
    case cache::OpStatus::kNotFound:
      Error(req, Status::kKeyNotFound);
      return;
    case cache::OpStatus::kTooLarge:
      Error(req, Status::kTooLarge);
      return;
    default:
      break;
  }
  // memcached's complete_update_bin: a refused add means the key exists, a refused replace means
  // it does not; anything else is NOT_STORED.
  if (!is_cas && (req.opcode == Opcode::kAdd || req.opcode == Opcode::kAddQ)) {
    Error(req, Status::kKeyExists);
  } else if (!is_cas && (req.opcode == Opcode::kReplace || req.opcode == Opcode::kReplaceQ)) {
    Error(req, Status::kKeyNotFound);
  } else {
    Error(req, Status::kNotStored);
  }
}

void BinarySession::Concat(const Request& req) {
  cache::StoreArgs args;
  args.mode = (req.opcode == Opcode::kAppend || req.opcode == Opcode::kAppendQ)
                  ? cache::StoreMode::kAppend
                  : cache::StoreMode::kPrepend;
  args.key = req.key;
  args.value = req.value;
  args.compare_cas = req.cas;
  args.want_cas = !protocol::binary::IsQuiet(req.opcode);
  const cache::StoreResult stored = ctx_.store->Set(args);
  if (AnswerStoreOutcome(req, stored)) return;
  switch (stored.status) {
    case cache::OpStatus::kTooLarge:
      // Only the new piece alone being too big is E2BIG in memcached (its item_alloc fails);
      // a combined item too big is a refused store.
      if (req.value.size() > ctx_.store->MaxValueSize(req.key.size())) {
        Error(req, Status::kTooLarge);
        return;
      }
      break;
    default:
      break;
  }
  Error(req, Status::kNotStored);
}

bool BinarySession::AnswerStoreOutcome(const Request& req, const cache::StoreResult& stored) {
  switch (stored.status) {
    case cache::OpStatus::kOk:
      if (!protocol::binary::IsQuiet(req.opcode)) {
        Respond(req, Status::kSuccess, stored.cas, {}, {}, {});
      }
      return true;
    case cache::OpStatus::kExists:
      Error(req, Status::kKeyExists);
      return true;
    case cache::OpStatus::kNoMemory:
      Error(req, Status::kNoMemory, "Out of memory allocating item");
      return true;
    default:
      return false;
  }
}

void BinarySession::Remove(const Request& req) {
  cache::DeleteArgs args;
  args.key = req.key;
  args.compare_cas = req.cas;
  switch (ctx_.store->Delete(args)) {
    case cache::OpStatus::kOk:
      if (!protocol::binary::IsQuiet(req.opcode)) Respond(req, Status::kSuccess, 0, {}, {}, {});
      return;
    case cache::OpStatus::kExists:
      Error(req, Status::kKeyExists);
      return;
    default:
      Error(req, Status::kKeyNotFound);
      return;
  }
}

void BinarySession::Arith(const Request& req) {
  cache::ArithArgs args;
  args.key = req.key;
  args.incr = req.opcode == Opcode::kIncrement || req.opcode == Opcode::kIncrementQ;
  args.delta = req.delta;
  args.create = req.exptime != protocol::binary::kArithNoCreate;
  args.initial = req.initial;
  args.create_exptime = static_cast<int64_t>(req.exptime);
  args.compare_cas = req.cas;
  // memcached creates a missing counter whatever CAS the request carries; so does the Store.
  cache::ArithResult r = ctx_.store->Arith(args);
  switch (r.status) {
    case cache::OpStatus::kOk: {
      if (protocol::binary::IsQuiet(req.opcode)) return;
      char value[8];
      protocol::binary::StoreBe64(value, r.value);
      Respond(req, Status::kSuccess, r.cas, {}, {}, std::string_view(value, sizeof(value)));
      return;
    }
    case cache::OpStatus::kNotFound:
      Error(req, Status::kKeyNotFound);
      return;
    case cache::OpStatus::kExists:
      Error(req, Status::kKeyExists);
      return;
    case cache::OpStatus::kNonNumeric:
      Error(req, Status::kDeltaBadValue);
      return;
    case cache::OpStatus::kNotStored:
      Error(req, Status::kNotStored);
      return;
    case cache::OpStatus::kTooLarge:
    case cache::OpStatus::kNoMemory:
      Error(req, Status::kNoMemory,
            r.created ? "Out of memory allocating new item" : "Out of memory incrementing value");
      return;
  }
}

void BinarySession::Flush(const Request& req) {
  if (!ctx_.flush_enabled) {
    Error(req, Status::kAuthError, nullptr);  // memcached -F: process_bin_flush's answer
    return;
  }
  // The store applies memcached's relative/absolute rule to the delay.
  ctx_.store->Flush(req.has_flush_delay ? req.flush_delay : 0);
  if (!protocol::binary::IsQuiet(req.opcode)) Respond(req, Status::kSuccess, 0, {}, {}, {});
}

void BinarySession::Stat(const Request& req) {
  // memcached's process_bin_stat: "reset", "settings" and "detail" match as prefixes, the
  // get_stats groups exactly; anything else (even "conns", a text-only group) is KEY_ENOENT.
  const std::string_view key = req.key;
  std::string_view group;
  if (key.empty()) {
    group = "";
  } else if (key.starts_with("reset")) {
    group = "reset";
  } else if (key.starts_with("settings")) {
    group = "settings";
  } else if (key.starts_with("detail")) {
    std::string_view sub = key.substr(6);
    if (sub.starts_with(" dump")) {
      // Per-prefix detail is never recorded here, so the dump is memcached's empty one.
      StatLine(req, "detailed", "END\r\n");
    } else if (!sub.starts_with(" on") && !sub.starts_with(" off")) {
      Error(req, Status::kKeyNotFound);
      return;
    }
    StatLine(req, {}, {});
    return;
  } else if (key == "items" || key == "slabs" || key == "sizes") {
    group = key;
  } else if (key == "sizes_enable" || key == "sizes_disable") {
    // memcached 1.6.18 answers these with one line and no terminator.
    StatLine(req, "sizes_status", key == "sizes_enable" ? "enabled" : "disabled");
    return;
  } else {
    Error(req, Status::kKeyNotFound);
    return;
  }
  stat_scratch_.clear();
  if (CollectStats(group, ctx_, &stat_scratch_) == StatsGroupStatus::kUnknown) {
    Error(req, Status::kKeyNotFound);
    return;
  }
  for (const auto& [name, value] : stat_scratch_) StatLine(req, name, value);
  StatLine(req, {}, {});
}

void BinarySession::StatLine(const Request& req, std::string_view name, std::string_view value) {
  Respond(req, Status::kSuccess, 0, {}, name, value);
}

void BinarySession::Respond(const Request& req, Status status, uint64_t cas,
                            std::string_view extras, std::string_view key, std::string_view value) {
  ResponseHeader h;
  h.opcode = req.opcode;
  h.status = status;
  h.extras_length = static_cast<uint8_t>(extras.size());
  h.key_length = static_cast<uint16_t>(key.size());
  h.body_length = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  h.opaque = req.opaque;
  h.cas = cas;
  char* p = out_.AppendUninitialized(kHeaderSize + h.body_length);
  protocol::binary::WriteResponseHeader(h, p);
  p += kHeaderSize;
  if (!extras.empty()) std::memcpy(p, extras.data(), extras.size());
  p += extras.size();
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
}

void BinarySession::Error(const Request& req, Status status, const char* message) {
  Respond(req, status, 0, {}, {},
          message != nullptr ? message : protocol::binary::StatusMessage(status));
}

}  // namespace kmd::dispatch
