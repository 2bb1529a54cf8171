#include <gtest/gtest.h>
#include "tlslab/messages.hpp"
TEST(Codec, Placeholder) { EXPECT_TRUE(true); }
