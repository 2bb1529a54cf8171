#include "captured_tls.hpp"

#include <openssl/crypto.h>

#include "record_opener.hpp"
#include "tlslab/text.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/names.hpp"
#include "tlslab/tls/record_view.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::explain {
namespace {

using tls::TappedMessage;
using tls::TappedType;

constexpr std::uint8_t change_cipher_spec = 20;
constexpr std::uint8_t alert = 21;
constexpr std::uint8_t handshake = 22;
constexpr std::uint8_t application_data = 23;
// RFC 5246 §6.2.3: 2^14 + 2048 under TLS 1.2 (compression, CBC padding); RFC 8446 §5.2 allows less.
constexpr std::size_t max_fragment = (std::size_t{1} << 14) + 2048;
// What one connection's messages may hold in all; beyond, a message is counted, not kept.
constexpr std::size_t max_kept_bytes = std::size_t{1} << 20;
// And how many messages and notes: a stream of empty records must not make millions of either.
constexpr std::size_t max_messages = 2048;
constexpr std::size_t max_notes = 32;

std::size_t index_of(Party party) {
  return party == Party::client ? 0 : 1;
}

std::string side_words(Party party) {
  return party == Party::client ? "client → server" : "server → client";
}

class Reader {
 public:
  Reader(const decrypt::TcpConnection& connection, const KeyLog& keys) : connection_(connection), keys_(keys) {
    sides_[0].bytes = &connection.client_bytes;
    sides_[1].bytes = &connection.server_bytes;
  }

  CapturedTls read() && {
    if (!connection_.arrivals.empty()) out_.first_at = decrypt::bounded_capture_time(connection_.arrivals.front().at);
    for (const auto& arrival : connection_.arrivals) {
      now_ = decrypt::bounded_capture_time(arrival.at);
      Party from = arrival.direction == decrypt::Direction::client_to_server ? Party::client : Party::server;
      read_records(from, arrival.end);
    }
    for (Party from : {Party::client, Party::server}) {
      Side& side = sides_[index_of(from)];
      // A connection followed only in part (cut_short, below) ends inside a record by our choice.
      if (!side.stopped && side.read < side.bytes->size() && connection_.cut_short.empty()) {
        note(from, "the capture ends inside a record (" + std::to_string(side.bytes->size() - side.read) +
                       " bytes of it): the rest was not captured");
      }
      if (!side.stopped && !side.handshake.empty() && connection_.cut_short.empty()) {
        note(from,
             "the capture ends inside a handshake message (" + std::to_string(side.handshake.size()) + " bytes of it)");
      }
    }
    if (notes_dropped_ > 0) out_.notes.push_back(std::to_string(notes_dropped_) + " more notes like these");
    if (messages_dropped_ > 0) {
      out_.notes.push_back(std::to_string(messages_dropped_) + " more messages after the first " +
                           std::to_string(max_messages) + ": counted, not shown");
    }
    if (!connection_.cut_short.empty()) out_.notes.push_back(connection_.cut_short);
    for (auto& side : sides_) OPENSSL_cleanse(side.handshake.data(), side.handshake.size());
    return std::move(out_);
  }

 private:
  struct Side {
    const Bytes* bytes = nullptr;
    std::size_t read = 0;
    Bytes handshake;   // handshake-content bytes not yet a whole message
    bool ccs = false;  // TLS 1.2: its ChangeCipherSpec crossed, what follows is protected
    bool stopped = false;
    std::optional<RecordOpener> opener;
    bool opener_failed = false;
    std::size_t unopened = 0;  // protected records not opened
    bool finished = false;     // its Finished crossed (TLS 1.3: the application secret follows)
  };

  void note(Party from, const std::string& line) {
    if (out_.notes.size() < max_notes) {
      out_.notes.push_back(side_words(from) + ": " + line);
    } else {
      ++notes_dropped_;
    }
  }

  void read_records(Party from, std::size_t end) {
    Side& side = sides_[index_of(from)];
    while (!side.stopped && side.read + tls::record_header_size <= end) {
      ByteView bytes(*side.bytes);
      auto header = tls::view_record_header(bytes.subspan(side.read, tls::record_header_size));
      if (!header || header->legacy_record_version >> 8 != 3 || header->length > max_fragment) {
        std::string why = !header ? header.failure().reason
                                  : "a record header announcing " + std::to_string(header->length) +
                                        " bytes (version 0x" + to_hex(bytes.subspan(side.read + 1, 2)) + ")";
        note(from, "at byte " + std::to_string(side.read) + ", " + why +
                       ": not a TLS record (more than 2^14 + 2048 bytes, or not version 3.x); nothing after it is "
                       "read");
        side.stopped = true;
        return;
      }
      std::size_t size = tls::record_header_size + header->length;
      if (side.read + size > end) return;  // the rest of it arrives later
      ByteView record = bytes.subspan(side.read, size);
      side.read += size;
      on_record(from, side, record);
    }
  }

  bool is_protected(const Side& side, std::uint8_t type) const {
    return type == application_data || (side.ccs && !tls13_);
  }

  void on_record(Party from, Side& side, ByteView record) {
    std::uint8_t type = record[0];
    ByteView fragment = record.subspan(tls::record_header_size);
    if (type == change_cipher_spec) {
      push(from, TappedType::change_cipher_spec, "ChangeCipherSpec", fragment, false);
      if (!tls13_ && hello_done_) {
        side.ccs = true;
        open_tls12(from, side);
      }
      return;
    }
    if (is_protected(side, type)) return on_protected(from, side, record);
    if (type == handshake) return on_handshake_bytes(from, side, fragment, false);
    if (type == alert) return on_alert(from, fragment, false);
    note(from, "a record of type " + tls::content_type_name(type) + " (" + std::to_string(fragment.size()) +
                   " bytes): not shown");
  }

  void on_alert(Party from, ByteView fragment, bool encrypted) {
    push(from, TappedType::alert, "Alert", fragment, encrypted);
    // The first alert that says something: close_notify (0) ends a session that went well.
    if (fragment.size() == 2 && fragment[1] != 0 && !out_.alert) {
      out_.alert = tls::TappedAlert{from, fragment[0], fragment[1], tls::alert_words(fragment[1]),
                                    Bytes(fragment.begin(), fragment.end())};
    }
  }

  void on_handshake_bytes(Party from, Side& side, ByteView fragment, bool encrypted) {
    side.handshake.insert(side.handshake.end(), fragment.begin(), fragment.end());
    while (side.handshake.size() >= 4 && !side.stopped) {
      std::size_t length =
          (std::size_t{side.handshake[1]} << 16) | (std::size_t{side.handshake[2]} << 8) | side.handshake[3];
      if (length > tls::max_viewed_message) {
        note(from, "a handshake message announcing " + std::to_string(length) + " bytes (more than the " +
                       std::to_string(tls::max_viewed_message / 1024) +
                       " KiB a real one needs): nothing after it is read");
        side.stopped = true;
        return;
      }
      if (side.handshake.size() < 4 + length) return;
      Bytes message(side.handshake.begin(), side.handshake.begin() + static_cast<std::ptrdiff_t>(4 + length));
      side.handshake.erase(side.handshake.begin(), side.handshake.begin() + static_cast<std::ptrdiff_t>(4 + length));
      on_message(from, side, std::move(message), encrypted);
    }
  }

  void on_message(Party from, Side& side, Bytes message, bool encrypted) {
    auto kind = static_cast<tls::HandshakeKind>(message[0]);
    std::string name(tls::to_string(kind));
    if (kind == tls::HandshakeKind::client_hello && client_random_.empty() && message.size() >= 4 + 2 + 32) {
      client_random_.assign(message.begin() + 6, message.begin() + 38);
    }
    if (kind == tls::HandshakeKind::server_hello && from == Party::server) on_server_hello(message);
    push(from, TappedType::handshake, name, message, encrypted);
    if (kind == tls::HandshakeKind::finished && tls13_ && encrypted) {
      side.finished = true;
      open_tls13(from, side, from == Party::client ? "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0");
    }
    if (kind == tls::HandshakeKind::key_update && side.opener) side.opener->update();
    OPENSSL_cleanse(message.data(), message.size());
  }

  void on_server_hello(const Bytes& message) {
    auto view = tls::view_handshake(message, tls::ViewContext{});
    if (!view || view->name == "HelloRetryRequest") return;
    hello_done_ = true;
    suite_ = view->cipher_suite.value_or(0);
    tls13_ = view->selected_version.value_or(0) == tls::tls13;
    if (view->random) server_random_ = *view->random;
    if (!tls13_) return;
    open_tls13(Party::client, sides_[0], "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    open_tls13(Party::server, sides_[1], "SERVER_HANDSHAKE_TRAFFIC_SECRET");
  }

  void open_tls13(Party from, Side& side, std::string_view label) {
    side.opener.reset();
    if (keys_.empty() || side.opener_failed) return;
    auto secret = keys_.find(label, client_random_);
    if (!secret) {
      note(from, "the key log has no " + std::string(label) + " line for this RAND-CLIENT: its records stay encrypted");
      return;
    }
    out_.keys_in_log = true;
    std::string why;
    side.opener = RecordOpener::tls13(suite_, *secret, why);
    if (!side.opener) note(from, why);
    OPENSSL_cleanse(secret->data(), secret->size());
  }

  void open_tls12(Party from, Side& side) {
    if (keys_.empty()) return;
    auto master = keys_.find("CLIENT_RANDOM", client_random_);
    if (!master) {
      note(from, "the key log has no CLIENT_RANDOM line for this RAND-CLIENT: its records stay encrypted");
      return;
    }
    out_.keys_in_log = true;
    std::string why;
    side.opener = RecordOpener::tls12(suite_, *master, client_random_, server_random_, from == Party::client, why);
    if (!side.opener) note(from, why);
    OPENSSL_cleanse(master->data(), master->size());
  }

  void on_protected(Party from, Side& side, ByteView record) {
    if (!hello_done_) {
      note(from, "a protected record before the ServerHello (TLS 1.3 early data): not opened");
      return;
    }
    if (side.opener) {
      auto opened = side.opener->open(record);
      if (opened) {
        switch (opened->content_type) {
          case handshake:
            if (tls13_) out_.handshake_opened = true;
            on_handshake_bytes(from, side, opened->plaintext, true);
            break;
          case alert: on_alert(from, opened->plaintext, true); break;
          case application_data: application(from, record, &opened->plaintext); break;
          default:
            note(from,
                 "an opened record of inner type " + tls::content_type_name(opened->content_type) + ": not shown");
        }
        OPENSSL_cleanse(opened->plaintext.data(), opened->plaintext.size());
        return;
      }
      note(from,
           "a record the key log's secret does not open (a wrong line, or a record changed on the wire): it "
           "and what follows stay encrypted");
      side.opener.reset();
      side.opener_failed = true;
    }
    on_unopened(from, side, record);
  }

  // A protected record without its key: named by where it sits, as an observer would.
  void on_unopened(Party from, Side& side, ByteView record) {
    std::size_t count = side.unopened++;
    Side& other = sides_[index_of(from == Party::client ? Party::server : Party::client)];
    if (!tls13_) {
      if (record[0] == handshake) {
        push(from, TappedType::application_data, count == 0 ? "Finished" : "encrypted handshake message", record, true);
      } else if (record[0] == alert) {
        push(from, TappedType::application_data, "Alert (encrypted)", record, true);
      } else {
        application(from, record, nullptr);
      }
      return;
    }
    // TLS 1.3: the server's flight after its ServerHello is EncryptedExtensions .. Finished; the client's
    // first protected record is its Finished (with its Certificate when asked); after those, application data.
    if (from == Party::server && other.unopened == 0 && !side.finished) {
      push(from, TappedType::application_data, "encrypted handshake", record, true);
    } else if (from == Party::client && count == 0) {
      push(from, TappedType::application_data, "Finished", record, true);
    } else {
      side.finished = true;
      application(from, record, nullptr);
    }
  }

  void application(Party from, ByteView bytes, const Bytes* plaintext) {
    std::size_t index = index_of(from);
    std::size_t size = bytes.size();
    ++out_.application_records[index];
    out_.application_bytes[index] += size;
    std::size_t shown = 0;
    for (const auto& record : out_.application) shown += record.from == from ? 1 : 0;
    if (shown >= max_shown_records) return;
    ApplicationRecord record;
    record.from = from;
    record.size = size;
    record.opened = plaintext != nullptr;
    record.record.assign(bytes.begin(), bytes.end());
    if (plaintext != nullptr) {
      std::size_t kept = std::min(plaintext->size(), max_shown_plaintext);
      record.plaintext.assign(plaintext->begin(), plaintext->begin() + static_cast<std::ptrdiff_t>(kept));
    }
    record.time = time_words();
    record.elapsed_ms = elapsed_ms();
    out_.application.push_back(std::move(record));
  }

  std::string time_words() const { return iso_time(std::chrono::system_clock::time_point(now_)); }
  double elapsed_ms() const { return std::chrono::duration<double, std::milli>(now_ - out_.first_at).count(); }

  void push(Party from, TappedType type, std::string name, ByteView bytes, bool encrypted) {
    if (out_.messages.size() >= max_messages) {
      ++messages_dropped_;
      return;
    }
    TappedMessage message;
    message.from = from;
    message.type = type;
    message.name = std::move(name);
    message.size = bytes.size();
    message.encrypted = encrypted;
    message.tls13 = tls13_;
    message.at =
        std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(now_));
    message.time = time_words();
    if (kept_ + bytes.size() <= max_kept_bytes) {
      message.bytes.assign(bytes.begin(), bytes.end());
      kept_ += bytes.size();
    }
    out_.messages.push_back(std::move(message));
  }

  const decrypt::TcpConnection& connection_;
  const KeyLog& keys_;
  Side sides_[2];
  CapturedTls out_;
  std::chrono::microseconds now_{};
  bool hello_done_ = false;
  bool tls13_ = false;
  std::uint16_t suite_ = 0;
  Bytes client_random_;
  Bytes server_random_;
  std::size_t kept_ = 0;
  std::size_t notes_dropped_ = 0;
  std::size_t messages_dropped_ = 0;
};

}  // namespace

CapturedTls read_tls(const decrypt::TcpConnection& connection, const KeyLog& keys) {
  return Reader(connection, keys).read();
}

std::optional<bool> looks_like_tls_client_hello(ByteView first_bytes) {
  if (first_bytes.empty()) return std::nullopt;
  if (first_bytes[0] != handshake) return false;
  if (first_bytes.size() < 2) return std::nullopt;
  if (first_bytes[1] != 3) return false;
  if (first_bytes.size() < 6) return std::nullopt;
  return first_bytes[5] == static_cast<std::uint8_t>(tls::HandshakeKind::client_hello);
}

}  // namespace tlslab::explain
