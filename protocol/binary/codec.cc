// Binary codec: request validation in memcached 1.6.18's order (proto_bin.c try_read_command_binary
// then dispatch_bin_command): magic, wait for extras + key, length consistency, key length,
// per-opcode shape, then value size. Each rule's answer and stream handling matches memcached.
#include "protocol/binary/codec.h"

namespace kmd::protocol::binary {
namespace {

enum class Shape : uint8_t {
  kStore,     // set/add/replace(q): extras 8, key, value
  kConcat,    // append/prepend(q): no extras, key, value
  kKeyOnly,   // get*/delete(q): no extras, key, nothing else
  kArith,     // incr/decr(q): extras 20, key
  kTouch,     // touch/gat*: extras 4, key (a longer body is left for the next parse)
  kFlush,     // flush(q): no key, extras 0 or 4, nothing else
  kEmpty,     // noop, version, quit(q): nothing at all
  kStat,      // stat: no extras; key is the group (a longer body is left for the next parse)
  kSaslList,  // sasl list mechs: nothing at all, then UNKNOWN_COMMAND (SASL disabled)
  kSaslAuth,  // sasl auth/step: no extras, key; UNKNOWN_COMMAND swallowing the value
  kUnknown,   // everything else: UNKNOWN_COMMAND
};

Shape ShapeOf(Opcode op) {
  switch (op) {
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
    case Opcode::kSetQ:
    case Opcode::kAddQ:
    case Opcode::kReplaceQ:
      return Shape::kStore;
    case Opcode::kAppend:
    case Opcode::kPrepend:
    case Opcode::kAppendQ:
    case Opcode::kPrependQ:
      return Shape::kConcat;
    case Opcode::kGet:
    case Opcode::kGetQ:
    case Opcode::kGetK:
    case Opcode::kGetKQ:
    case Opcode::kDelete:
    case Opcode::kDeleteQ:
      return Shape::kKeyOnly;
    case Opcode::kIncrement:
    case Opcode::kDecrement:
    case Opcode::kIncrementQ:
    case Opcode::kDecrementQ:
      return Shape::kArith;
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatQ:
    case Opcode::kGatK:
    case Opcode::kGatKQ:
      return Shape::kTouch;
    case Opcode::kFlush:
    case Opcode::kFlushQ:
      return Shape::kFlush;
    case Opcode::kNoop:
    case Opcode::kVersion:
    case Opcode::kQuit:
    case Opcode::kQuitQ:
      return Shape::kEmpty;
    case Opcode::kStat:
      return Shape::kStat;
    case Opcode::kSaslListMechs:
      return Shape::kSaslList;
    case Opcode::kSaslAuth:
    case Opcode::kSaslStep:
      return Shape::kSaslAuth;
    default:
      return Shape::kUnknown;
  }
}

ParseResult Bad(Status status, size_t consumed, bool close, uint64_t swallow) {
  ParseResult r;
  r.outcome = ParseOutcome::kBad;
  r.consumed = consumed;
  r.status = status;
  r.answer = true;
  r.close = close;
  r.swallow = swallow;
  return r;
}

ParseResult Complete(size_t consumed) {
  ParseResult r;
  r.outcome = ParseOutcome::kComplete;
  r.consumed = consumed;
  return r;
}

}  // namespace

const char* StatusMessage(Status status) {
  switch (status) {
    case Status::kSuccess:
    case Status::kAuthContinue:
      return "";
    case Status::kKeyNotFound:
      return kMsgNotFound;
    case Status::kKeyExists:
      return kMsgExists;
    case Status::kTooLarge:
      return kMsgTooLarge;
    case Status::kInvalid:
      return kMsgInvalid;
    case Status::kNotStored:
      return kMsgNotStored;
    case Status::kDeltaBadValue:
      return kMsgNonNumeric;
    case Status::kAuthError:
      return kMsgAuthError;
    case Status::kUnknownCommand:
      return kMsgUnknownCommand;
    case Status::kNoMemory:
      return kMsgNoMemory;
  }
  return "";
}

bool IsQuiet(Opcode op) {
  switch (op) {
    case Opcode::kGetQ:
    case Opcode::kGetKQ:
    case Opcode::kSetQ:
    case Opcode::kAddQ:
    case Opcode::kReplaceQ:
    case Opcode::kDeleteQ:
    case Opcode::kIncrementQ:
    case Opcode::kDecrementQ:
    case Opcode::kQuitQ:
    case Opcode::kFlushQ:
    case Opcode::kAppendQ:
    case Opcode::kPrependQ:
    case Opcode::kGatQ:
    case Opcode::kGatKQ:
      return true;
    default:
      return false;
  }
}

ParseResult Parse(std::string_view in, const Limits& limits, Request* req) {
  if (in.size() < kHeaderSize) return ParseResult{};
  const char* h = in.data();
  if (static_cast<uint8_t>(h[kOffMagic]) != kRequestMagic) {
    // memcached closes without a word: the stream cannot be trusted to resynchronise.
    ParseResult r;
    r.outcome = ParseOutcome::kBad;
    r.close = true;
    return r;
  }
  *req = Request{};
  req->opcode = static_cast<Opcode>(static_cast<uint8_t>(h[kOffOpcode]));
  req->key_length = LoadBe16(h + kOffKeyLength);
  req->extras_length = static_cast<uint8_t>(h[kOffExtrasLength]);
  req->data_type = static_cast<uint8_t>(h[kOffDataType]);
  req->vbucket = LoadBe16(h + kOffStatus);
  req->body_length = LoadBe32(h + kOffBodyLength);
  req->opaque = LoadBe32(h + kOffOpaque);
  req->cas = LoadBe64(h + kOffCas);

  const size_t extlen = req->extras_length;
  const size_t keylen = req->key_length;
  const size_t bodylen = req->body_length;
  // memcached reads extras and key before judging anything else (at most 255 + 65535 bytes).
  const size_t head = kHeaderSize + extlen + keylen;
  if (in.size() < head) return ParseResult{};

  if (keylen + extlen > bodylen) {
    // The body cannot contain its own parts: nothing to resynchronise on.
    return Bad(Status::kUnknownCommand, head, /*close=*/true, 0);
  }
  req->extras = in.substr(kHeaderSize, extlen);
  if (keylen > limits.max_key) {
    return Bad(Status::kInvalid, head, /*close=*/true, 0);
  }
  req->key = in.substr(kHeaderSize + extlen, keylen);
  const char* ext = req->extras.data();
  const size_t vlen = bodylen - extlen - keylen;

  switch (ShapeOf(req->opcode)) {
    case Shape::kStore:
    case Shape::kConcat: {
      const bool store = ShapeOf(req->opcode) == Shape::kStore;
      if (keylen == 0 || extlen != (store ? kStoreExtras : 0)) {
        return Bad(Status::kInvalid, head, true, 0);
      }
      if (store) {
        req->flags = LoadBe32(ext);
        req->exptime = LoadBe32(ext + 4);
      }
      if (vlen > limits.max_value) {
        // memcached answers before reading the value and swallows it; so do we, unbuffered.
        return Bad(Status::kTooLarge, head, false, vlen);
      }
      if (in.size() < kHeaderSize + bodylen) return ParseResult{};
      req->value = in.substr(head, vlen);
      return Complete(kHeaderSize + bodylen);
    }
    case Shape::kKeyOnly:
      if (extlen != 0 || keylen == 0 || bodylen != keylen)
        return Bad(Status::kInvalid, head, true, 0);
      return Complete(head);
    case Shape::kArith:
      if (keylen == 0 || extlen != kArithExtras || bodylen != keylen + extlen) {
        return Bad(Status::kInvalid, head, true, 0);
      }
      req->delta = LoadBe64(ext);
      req->initial = LoadBe64(ext + 8);
      req->exptime = LoadBe32(ext + 16);
      return Complete(head);
    case Shape::kTouch:
      if (extlen != kTouchExtras || keylen == 0) return Bad(Status::kInvalid, head, true, 0);
      req->exptime = LoadBe32(ext);
      return Complete(head);
    case Shape::kFlush:
      if (keylen != 0 || bodylen != extlen || (extlen != 0 && extlen != kFlushExtras)) {
        return Bad(Status::kInvalid, head, true, 0);
      }
      if (extlen == kFlushExtras) {
        req->has_flush_delay = true;
        req->flush_delay = LoadBe32(ext);
      }
      return Complete(head);
    case Shape::kEmpty:
      if (extlen != 0 || keylen != 0 || bodylen != 0) return Bad(Status::kInvalid, head, true, 0);
      return Complete(head);
    case Shape::kStat:
      if (extlen != 0) return Bad(Status::kInvalid, head, true, 0);
      return Complete(head);
    case Shape::kSaslList:
      if (extlen != 0 || keylen != 0 || bodylen != 0) return Bad(Status::kInvalid, head, true, 0);
      return Bad(Status::kUnknownCommand, head, false, 0);
    case Shape::kSaslAuth:
      if (extlen != 0 || keylen == 0) return Bad(Status::kInvalid, head, true, 0);
      return Bad(Status::kUnknownCommand, head, false, bodylen - keylen);
    case Shape::kUnknown:
      break;
  }
  // memcached swallows the whole body length counted from the end of the key, i.e. extras + key
  // bytes too many when either is present; a client can observe it, so we do the same.
  return Bad(Status::kUnknownCommand, head, false, bodylen);
}

void WriteResponseHeader(const ResponseHeader& header, char* out) {
  out[kOffMagic] = static_cast<char>(kResponseMagic);
  out[kOffOpcode] = static_cast<char>(header.opcode);
  StoreBe16(out + kOffKeyLength, header.key_length);
  out[kOffExtrasLength] = static_cast<char>(header.extras_length);
  out[kOffDataType] = static_cast<char>(kRawBytes);
  StoreBe16(out + kOffStatus, static_cast<uint16_t>(header.status));
  StoreBe32(out + kOffBodyLength, header.body_length);
  StoreBe32(out + kOffOpaque, header.opaque);
  StoreBe64(out + kOffCas, header.cas);
}

void WriteRequestHeader(const RequestHeader& header, char* out) {
  out[kOffMagic] = static_cast<char>(header.magic);
  out[kOffOpcode] = static_cast<char>(header.opcode);
  StoreBe16(out + kOffKeyLength, header.key_length);
  out[kOffExtrasLength] = static_cast<char>(header.extras_length);
  out[kOffDataType] = static_cast<char>(header.data_type);
  StoreBe16(out + kOffStatus, header.vbucket);
  StoreBe32(out + kOffBodyLength, header.body_length);
  StoreBe32(out + kOffOpaque, header.opaque);
  StoreBe64(out + kOffCas, header.cas);
}

std::string EncodeRequest(Opcode op, std::string_view key, std::string_view extras,
                          std::string_view value, uint32_t opaque, uint64_t cas) {
  RequestHeader h;
  h.opcode = op;
  h.key_length = static_cast<uint16_t>(key.size());
  h.extras_length = static_cast<uint8_t>(extras.size());
  h.body_length = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  h.opaque = opaque;
  h.cas = cas;
  std::string out(kHeaderSize, '\0');
  WriteRequestHeader(h, out.data());
  out.append(extras).append(key).append(value);
  return out;
}

std::string StoreExtras(uint32_t flags, uint32_t exptime) {
  std::string out(8, '\0');
  StoreBe32(out.data(), flags);
  StoreBe32(out.data() + 4, exptime);
  return out;
}

std::string ArithExtras(uint64_t delta, uint64_t initial, uint32_t exptime) {
  std::string out(20, '\0');
  StoreBe64(out.data(), delta);
  StoreBe64(out.data() + 8, initial);
  StoreBe32(out.data() + 16, exptime);
  return out;
}

std::string ExptimeExtras(uint32_t exptime) {
  std::string out(4, '\0');
  StoreBe32(out.data(), exptime);
  return out;
}

ParseOutcome ParseResponse(std::string_view in, Response* resp, size_t* consumed) {
  if (in.size() < kHeaderSize) return ParseOutcome::kNeedMore;
  const char* h = in.data();
  if (static_cast<uint8_t>(h[kOffMagic]) != kResponseMagic) return ParseOutcome::kBad;
  const size_t keylen = LoadBe16(h + kOffKeyLength);
  const size_t extlen = static_cast<uint8_t>(h[kOffExtrasLength]);
  const size_t bodylen = LoadBe32(h + kOffBodyLength);
  if (keylen + extlen > bodylen) return ParseOutcome::kBad;
  if (in.size() - kHeaderSize < bodylen) return ParseOutcome::kNeedMore;
  resp->magic = kResponseMagic;
  resp->opcode = static_cast<Opcode>(static_cast<uint8_t>(h[kOffOpcode]));
  resp->data_type = static_cast<uint8_t>(h[kOffDataType]);
  resp->status = static_cast<Status>(LoadBe16(h + kOffStatus));
  resp->opaque = LoadBe32(h + kOffOpaque);
  resp->cas = LoadBe64(h + kOffCas);
  resp->extras = in.substr(kHeaderSize, extlen);
  resp->key = in.substr(kHeaderSize + extlen, keylen);
  resp->value = in.substr(kHeaderSize + extlen + keylen, bodylen - extlen - keylen);
  *consumed = kHeaderSize + bodylen;
  return ParseOutcome::kComplete;
}

}  // namespace kmd::protocol::binary
