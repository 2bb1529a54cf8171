// Boost.JSON's implementation, compiled once for tlslab-report (Debian's Boost 1.81 ships no
// libboost_json by default; the header-only form is Boost's documented alternative).
#include <boost/json/src.hpp>
