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

#include "ringnats/sublist/sub_ref.h"

namespace ringnats::broker {

// The parts of a published message that every delivery needs.
struct Message {
  std::string_view subject;
  std::string_view reply;
  uint32_t header_len = 0;  // 0: no headers
  std::string_view data;    // headers followed by payload
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
      message.subject = std::string_view(at, header.subject_len);
      message.reply = std::string_view(at + header.subject_len, header.reply_len);
      message.header_len = header.header_len;
      message.data = std::string_view(at + header.subject_len + header.reply_len, header.data_len);
      at += Padded(header.subject_len + header.reply_len + header.data_len);
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
  };
  // Records start 4-byte aligned so SubRefs can be read in place.
  static size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

  std::vector<char> bytes_;
};

}  // namespace ringnats::broker
