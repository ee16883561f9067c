#include "ringnats/broker/delivery_batch.h"

namespace ringnats::broker {

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
  std::memcpy(at, refs.data(), refs_bytes);
  at += refs_bytes;
  std::memcpy(at, message.subject.data(), message.subject.size());
  at += message.subject.size();
  std::memcpy(at, message.reply.data(), message.reply.size());
  at += message.reply.size();
  std::memcpy(at, message.size_text.data(), message.size_text.size());
  at += message.size_text.size();
  std::memcpy(at, message.header_size_text.data(), message.header_size_text.size());
  at += message.header_size_text.size();
  std::memcpy(at, message.data.data(), message.data.size());
}

void DeliveryBatch::Reset() {
  bytes_.clear();
  if (bytes_.capacity() > (8u << 20)) bytes_.shrink_to_fit();
}

}  // namespace ringnats::broker
