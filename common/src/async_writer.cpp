#include "tlslab/async_writer.hpp"

#include <vector>

namespace tlslab {

AsyncWriter::AsyncWriter(std::FILE* out, std::size_t max_pending)
    : out_(out), max_pending_(max_pending), thread_([this] { run(); }) {}

AsyncWriter::~AsyncWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void AsyncWriter::write(std::string text) {
  {
    std::lock_guard lock(mutex_);
    if (pending_bytes_ + text.size() > max_pending_) {
      ++dropped_;
      ++dropped_unreported_;
      return;
    }
    pending_bytes_ += text.size();
    queue_.push_back(std::move(text));
    ++queued_count_;
  }
  wake_.notify_one();
}

void AsyncWriter::flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = queued_count_;
  written_.wait(lock, [&] { return written_count_ >= target; });
}

std::size_t AsyncWriter::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void AsyncWriter::run() {
  std::vector<std::string> batch;
  for (;;) {
    std::size_t dropped_now = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
      dropped_now = dropped_unreported_;
      dropped_unreported_ = 0;
    }
    // Outside the lock: this is the part that may block on a slow terminal.
    std::size_t bytes = 0;
    for (const auto& text : batch) {
      std::fwrite(text.data(), 1, text.size(), out_);
      bytes += text.size();
    }
    if (dropped_now > 0) {
      std::fprintf(out_, "[trace] %zu line(s) dropped here: the output was slower than the sessions\n", dropped_now);
    }
    std::fflush(out_);
    {
      std::lock_guard lock(mutex_);
      pending_bytes_ -= bytes;
      written_count_ += batch.size();
    }
    written_.notify_all();
    batch.clear();
  }
}

}  // namespace tlslab
