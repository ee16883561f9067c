#include "ringnats/broker/delivery_batch.h"

namespace ringnats::broker {
namespace {

// memcpy must not be handed a null pointer even for zero bytes (an empty reply subject's
// data() may be null).
char* CopyIn(char* at, std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
  return at + bytes.size();
}

}  // namespace

void DeliveryBatch::Add(std::span<const sublist::SubRef> refs, const Message& message) {
  RecordHeader header{static_cast<uint32_t>(refs.size()),
                      static_cast<uint32_t>(message.subject.size()),
                      static_cast<uint32_t>(message.reply.size()),
                      message.header_len,
                      static_cast<uint32_t>(message.data.size()),
                      static_cast<uint16_t>(message.size_text.size()),
                      static_cast<uint16_t>(message.header_size_text.size()),
                      message.producer_worker,
                      message.producer.slot,
                      message.producer.generation};
  const size_t refs_bytes = refs.size() * sizeof(sublist::SubRef);
  // Text is padded so the next record's header and refs stay 4-byte aligned.
  const size_t text = message.subject.size() + message.reply.size() + message.size_text.size() +
                      message.header_size_text.size() + message.data.size();
  const size_t start = bytes_.size();
  bytes_.resize(start + sizeof header + refs_bytes + Padded(text));
  char* at = bytes_.data() + start;
  std::memcpy(at, &header, sizeof header);
  at += sizeof header;
  if (refs_bytes != 0) std::memcpy(at, refs.data(), refs_bytes);
  at += refs_bytes;
  at = CopyIn(at, message.subject);
  at = CopyIn(at, message.reply);
  at = CopyIn(at, message.size_text);
  at = CopyIn(at, message.header_size_text);
  CopyIn(at, message.data);
}

void DeliveryBatch::Reset() {
  bytes_.clear();
  if (bytes_.capacity() > (8u << 20)) bytes_.shrink_to_fit();
}

}  // namespace ringnats::broker
