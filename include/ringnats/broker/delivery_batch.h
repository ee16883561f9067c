#pragma once
// Messages one worker hands to another: for each publish, the subscriptions on the
// destination worker that matched and the message bytes, packed into one growable buffer.
// One batch per destination per loop iteration; the destination writes MSG/HMSG lines into
// its own connections' buffers, then returns the batch to its origin for reuse.
//
// A batch is written by its origin worker, then read by the destination worker; the SPSC
// queue between them orders the two (release on push, acquire on pop).

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "ringnats/ring/event_loop.h"
#include "ringnats/sublist/sub_ref.h"

namespace ringnats::broker {

// The parts of a published message that every delivery needs.
struct Message {
  std::string_view subject;
  std::string_view reply;
  uint32_t header_len = 0;  // 0: no headers
  std::string_view data;    // headers followed by payload
  // The sizes as the publisher wrote them, echoed verbatim (empty: format the number).
  std::string_view size_text;
  std::string_view header_size_text;
  // Who published it, so a consumer that falls behind can stall its producer even from
  // another worker. Generation 0 names no connection.
  uint32_t producer_worker = 0;
  ring::ConnId producer;
};

class DeliveryBatch {
 public:
  void Add(std::span<const sublist::SubRef> refs, const Message& message);
  bool empty() const { return bytes_.empty(); }
  size_t size_bytes() const { return bytes_.size(); }
  // Drops the contents; keeps the memory unless a burst made it large.
  void Reset();

  // Calls `visit(refs, message)` for each added record, in order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    const char* at = bytes_.data();
    const char* end = at + bytes_.size();
    while (at < end) {
      RecordHeader header;
      std::memcpy(&header, at, sizeof header);
      at += sizeof header;
      std::span<const sublist::SubRef> refs(reinterpret_cast<const sublist::SubRef*>(at),
                                            header.ref_count);
      at += header.ref_count * sizeof(sublist::SubRef);
      Message message;
      const char* text = at;
      message.subject = std::string_view(text, header.subject_len);
      text += header.subject_len;
      message.reply = std::string_view(text, header.reply_len);
      text += header.reply_len;
      message.size_text = std::string_view(text, header.size_text_len);
      text += header.size_text_len;
      message.header_size_text = std::string_view(text, header.header_size_text_len);
      text += header.header_size_text_len;
      message.header_len = header.header_len;
      message.producer_worker = header.producer_worker;
      message.producer = ring::ConnId{header.producer_slot, header.producer_generation};
      message.data = std::string_view(text, header.data_len);
      text += header.data_len;
      at += Padded(static_cast<size_t>(text - at));
      visit(refs, message);
    }
  }

 private:
  struct RecordHeader {
    uint32_t ref_count;
    uint32_t subject_len;
    uint32_t reply_len;
    uint32_t header_len;
    uint32_t data_len;
    uint16_t size_text_len;
    uint16_t header_size_text_len;
    uint32_t producer_worker;
    uint32_t producer_slot;
    uint32_t producer_generation;
  };
  // Records start 4-byte aligned so SubRefs can be read in place.
  static size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

  std::vector<char> bytes_;
};

}  // namespace ringnats::broker
