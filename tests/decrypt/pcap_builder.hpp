#pragma once
// Writes capture files for the tests with libtins itself (Tins::PacketWriter, pcap, Ethernet):
// TCP connections on 127.0.0.1 whose segments can be sent out of order, twice, or overlapping.
#include <tins/ethernetII.h>
#include <tins/ip.h>
#include <tins/packet_writer.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"

namespace tlslab::decrypt::test {

class PcapBuilder {
 public:
  explicit PcapBuilder(const std::string& path) : writer_(path, Tins::DataLinkType<Tins::EthernetII>()) {}

  class Connection {
   public:
    // A segment of the bytes sent by one side: [offset, offset + length) of what it sends next.
    struct Segment {
      std::size_t offset;
      std::size_t length;
    };
    // Sends `data` as the given segments, in the order listed (a segment may be listed twice, and
    // segments may overlap); together they must cover `data`.
    void send(bool from_client, ByteView data, const std::vector<Segment>& segments);
    void send(bool from_client, ByteView data) { send(from_client, data, {{0, data.size()}}); }
    void close();

   private:
    friend class PcapBuilder;
    Connection(PcapBuilder& pcap, std::uint16_t client_port, std::uint16_t server_port);
    void packet(bool from_client, std::uint32_t seq, std::uint16_t flags, ByteView payload);

    PcapBuilder& pcap_;
    std::uint16_t client_port_, server_port_;
    std::uint32_t next_seq_[2];  // [1] the client's, [0] the server's
  };

  Connection connect(std::uint16_t client_port, std::uint16_t server_port) {
    return Connection(*this, client_port, server_port);
  }

 private:
  Tins::PacketWriter writer_;
};

}  // namespace tlslab::decrypt::test
