#include "pcap_builder.hpp"

namespace tlslab::decrypt::test {

PcapBuilder::Connection::Connection(PcapBuilder& pcap, std::uint16_t client_port, std::uint16_t server_port)
    : pcap_(pcap), client_port_(client_port), server_port_(server_port), next_seq_{0x80000000u, 0xfffffff0u} {
  // The client's sequence numbers wrap past 2^32 within a few bytes: reassembly must not care.
  packet(true, next_seq_[1]++, Tins::TCP::SYN, {});
  packet(false, next_seq_[0]++, Tins::TCP::SYN | Tins::TCP::ACK, {});
  packet(true, next_seq_[1], Tins::TCP::ACK, {});
}

void PcapBuilder::Connection::packet(bool from_client, std::uint32_t seq, std::uint16_t flags, ByteView payload) {
  Tins::TCP tcp(from_client ? server_port_ : client_port_, from_client ? client_port_ : server_port_);
  tcp.seq(seq);
  tcp.ack_seq(next_seq_[from_client ? 0 : 1]);
  tcp.flags(static_cast<Tins::small_uint<12>>(flags));
  Tins::EthernetII ethernet = Tins::EthernetII() / Tins::IP("127.0.0.1", "127.0.0.1") / tcp;
  if (!payload.empty()) ethernet /= Tins::RawPDU(payload.data(), static_cast<std::uint32_t>(payload.size()));
  pcap_.writer_.write(ethernet);
}

void PcapBuilder::Connection::send(bool from_client, ByteView data, const std::vector<Segment>& segments) {
  std::uint32_t base = next_seq_[from_client ? 1 : 0];
  for (const auto& segment : segments) {
    packet(from_client, base + static_cast<std::uint32_t>(segment.offset), Tins::TCP::PSH | Tins::TCP::ACK,
           data.subspan(segment.offset, segment.length));
  }
  next_seq_[from_client ? 1 : 0] = base + static_cast<std::uint32_t>(data.size());
}

void PcapBuilder::Connection::close() {
  packet(true, next_seq_[1]++, Tins::TCP::FIN | Tins::TCP::ACK, {});
  packet(false, next_seq_[0]++, Tins::TCP::FIN | Tins::TCP::ACK, {});
  packet(true, next_seq_[1], Tins::TCP::ACK, {});
}

}  // namespace tlslab::decrypt::test
