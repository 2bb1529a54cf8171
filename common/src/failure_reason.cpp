#include "tlslab/failure_reason.hpp"

namespace tlslab {

std::string failure_reason(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown error";
}

}  // namespace tlslab
