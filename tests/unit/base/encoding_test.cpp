#include "firebreak/base/encoding.h"

#include <gtest/gtest.h>

#include "firebreak/base/crypto.h"
#include "firebreak/base/error.h"

namespace firebreak {
namespace {

TEST(Base64, RoundTripsEveryPaddingLength) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(char(i));
  EXPECT_EQ(base64_decode(base64_encode(all_bytes)), all_bytes);
  EXPECT_THROW(base64_decode("Zm9v!"), InputError);
}

TEST(UriEncode, KeepsOnlyTheUnreservedSet) {
  EXPECT_EQ(uri_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(uri_encode("a b/c+d=e&f"), "a%20b%2Fc%2Bd%3De%26f");
  EXPECT_EQ(uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uri_encode("\xe1\x88\xb4"), "%E1%88%B4");
  EXPECT_EQ(uri_decode("a%20b%2Fc%E1%88%B4%zz"), "a b/c\xe1\x88\xb4%zz");
}

TEST(Hashes, KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(hmac_sha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  EXPECT_EQ(base64_encode(md5("")), "1B2M2Y8AsgTpgAmY7PhCfg==");
  std::string uuid = random_uuid();
  EXPECT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(random_uuid(), uuid);
}

}  // namespace
}  // namespace firebreak
