#pragma once
// What a coroutine that ended on an exception says about it, for the handler it completes into
// (every co_spawn here completes into one; none is detached): the exception's what(), or
// "unknown error" for anything that is not a std::exception.
#include <exception>
#include <string>

namespace tlslab {

std::string failure_reason(const std::exception_ptr& failure);

}  // namespace tlslab
