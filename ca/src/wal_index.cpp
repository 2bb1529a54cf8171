#include "wal_index.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace tlslab::ca {
namespace {

constexpr std::size_t header_words = 12;              // 48 bytes a copy
constexpr std::size_t mapped_bytes = 2 * 48;          // both copies
constexpr std::uint32_t wal_index_version = 3007000;  // iVersion of every WAL index since SQLite 3.7.0

}  // namespace

WalIndex::WalIndex(const std::string& shm_path) {
  int fd = ::open(shm_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  struct stat status {};
  if (::fstat(fd, &status) == 0 && S_ISREG(status.st_mode) &&
      static_cast<std::size_t>(status.st_size) >= mapped_bytes) {
    void* mapping = ::mmap(nullptr, mapped_bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (mapping != MAP_FAILED) {
      mapping_ = mapping;
      length_ = mapped_bytes;
      words_ = static_cast<const volatile std::uint32_t*>(mapping);
    }
  }
  ::close(fd);  // the mapping keeps what it needs
}

WalIndex::~WalIndex() {
  if (mapping_ != nullptr) ::munmap(mapping_, length_);
}

std::optional<WalIndex::Header> WalIndex::header() const {
  if (words_ == nullptr) return std::nullopt;
  Header first{};
  Header second{};
  // As SQLite's walIndexTryHdr: the first copy, a barrier, the second (a writer writes them in the
  // other order), so two equal copies are one whole header.
  for (std::size_t i = 0; i < header_words; ++i) first[i] = words_[i];
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < header_words; ++i) second[i] = words_[header_words + i];
  unsigned char flags[4];  // isInit, bigEndCksum, szPage: the bytes after iChange
  std::memcpy(flags, &first[3], sizeof flags);
  bool initialized = flags[0] != 0;
  if (first != second || first[0] != wal_index_version || !initialized) return std::nullopt;
  return first;
}

}  // namespace tlslab::ca
