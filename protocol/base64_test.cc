#include "protocol/base64.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

struct DecodeCase {
  const char* label;
  std::string input;
  Base64Options options;
  std::optional<std::string> want;  // decoded bytes, or nullopt when an error is expected
  Base64Error want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(DecodeCase)

Base64Options Url(Base64Options::Padding padding) {
  Base64Options o;
  o.alphabet = Base64Alphabet::kUrl;
  o.padding = padding;
  return o;
}

Base64Options Lenient(Base64Options o) {
  o.allow_non_canonical = true;
  return o;
}

using P = Base64Options::Padding;

// RFC 4648 §10 test vectors, then every error code with its offset.
const DecodeCase kDecodeCases[] = {
    {"rfc4648 empty", "", {}, ""},
    {"rfc4648 f", "Zg==", {}, "f"},
    {"rfc4648 fo", "Zm8=", {}, "fo"},
    {"rfc4648 foo", "Zm9v", {}, "foo"},
    {"rfc4648 foob", "Zm9vYg==", {}, "foob"},
    {"rfc4648 fooba", "Zm9vYmE=", {}, "fooba"},
    {"rfc4648 foobar", "Zm9vYmFy", {}, "foobar"},
    {"basic user:pass", "dXNlcjpwYXNz", {}, "user:pass"},
    {"standard alphabet + /", "+/+/", {}, "\xfb\xff\xbf"},
    {"url alphabet - _", "-_-_", Url(P::kForbidden), "\xfb\xff\xbf"},
    {"url unpadded 2 rem", "Zg", Url(P::kForbidden), "f"},
    {"url optional padded", "Zg==", Url(P::kOptional), "f"},
    {"url optional unpadded", "Zg", Url(P::kOptional), "f"},
    // RFC 4648 §3.3: characters outside the alphabet are rejected, whitespace included.
    {"space rejected", "Zm9v YmFy", {}, std::nullopt, Base64Error::kBadCharacter, 4},
    {"newline rejected", "Zm9v\nYmFy", {}, std::nullopt, Base64Error::kBadCharacter, 4},
    {"url char in standard", "Zm9-", {}, std::nullopt, Base64Error::kBadCharacter, 3},
    {"standard char in url", "Zm9+", Url(P::kForbidden), std::nullopt, Base64Error::kBadCharacter,
     3},
    {"nul byte", std::string("Zm\0v", 4), {}, std::nullopt, Base64Error::kBadCharacter, 2},
    {"high byte", "Zm\xc3\xa9", {}, std::nullopt, Base64Error::kBadCharacter, 2},
    // Length and padding.
    {"one char", "Z", {}, std::nullopt, Base64Error::kBadLength, 1},
    {"five chars", "Zm9vY", {}, std::nullopt, Base64Error::kBadLength, 5},
    {"missing padding", "Zg", {}, std::nullopt, Base64Error::kMissingPadding, 2},
    {"padding forbidden in jose", "Zg==", Base64Options::JoseStrict(), std::nullopt,
     Base64Error::kForbiddenPadding, 2},
    {"three pads", "Z===", {}, std::nullopt, Base64Error::kBadPadding, 1},
    {"one pad where two needed", "Zg=", {}, std::nullopt, Base64Error::kBadPadding, 2},
    {"pad in middle", "Zg==Zg==", {}, std::nullopt, Base64Error::kBadPadding, 4},
    {"only padding", "====", {}, std::nullopt, Base64Error::kBadPadding, 0},
    // RFC 4648 §3.5: non-zero unused bits make an encoding non-canonical.
    {"non-canonical 1 byte", "Zh==", {}, std::nullopt, Base64Error::kNonCanonical, 1},
    {"non-canonical 2 bytes", "Zm9=", {}, std::nullopt, Base64Error::kNonCanonical, 2},
    {"non-canonical lenient", "Zh==", Lenient({}), "f"},
    {"too large", std::string(9, 'A'),
     [] {
       Base64Options o;
       o.max_input = 8;
       return o;
     }(),
     std::nullopt, Base64Error::kTooLarge, 8},
};

class Base64DecodeTest : public testing::TestWithParam<DecodeCase> {};

TEST_P(Base64DecodeTest, DecodesOrFailsWithExactCode) {
  const DecodeCase& c = GetParam();
  auto got = Base64Decode(c.input, c.options);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code);
    EXPECT_EQ(*got, *c.want) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Base64DecodeTest, testing::ValuesIn(kDecodeCases),
                         testing_support::LabelName());

// Encoding round-trips every length 0..64 and every byte value, in both alphabets.
TEST(Base64Encode, RoundTripsAllLengthsAndBytes) {
  std::string bytes;
  for (int i = 0; i < 64; ++i) {
    bytes.push_back(static_cast<char>(i * 37 + 11));
    for (bool pad : {true, false}) {
      for (auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrl}) {
        Base64Options o;
        o.alphabet = alphabet;
        o.padding = pad ? P::kRequired : P::kForbidden;
        auto back = Base64Decode(Base64Encode(bytes, alphabet, pad), o);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, bytes);
      }
    }
  }
}

TEST(Base64Encode, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

// distribution v2.8 joseBase64UrlDecode: pads by len%4, then Go's URLEncoding (non-strict).
struct V28Case {
  const char* label;
  std::string input;
  std::optional<std::string> want;
  Base64Error want_code = {};
};
REGAUTH_PRINT_LABEL(V28Case)

const V28Case kV28Cases[] = {
    {"unpadded", "Zg", "f"},
    {"padded len%4==0 accepted", "Zg==", "f"},
    {"one pad then auto pad", "Zg=", "f"},
    {"non-canonical accepted", "Zh", "f"},
    // Newlines are skipped by Go's decoder but still count in the len%4 padding rule.
    {"newline counted in length", "Zm9v\nYg", std::nullopt, Base64Error::kBadPadding},
    {"newlines skipped", "Zm\n\n9v\n\nYg", "foob"},
    {"len%4==1", "Zm9vY", std::nullopt, Base64Error::kBadLength},
    {"plus rejected", "Zm9+", std::nullopt, Base64Error::kBadCharacter},
    {"slash rejected", "Zm9/", std::nullopt, Base64Error::kBadCharacter},
};

class Base64V28Test : public testing::TestWithParam<V28Case> {};

TEST_P(Base64V28Test, MatchesGoJoseBase64UrlDecode) {
  const V28Case& c = GetParam();
  auto got = Base64UrlDecodeDistributionV28(c.input);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code);
    EXPECT_EQ(*got, *c.want) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_LE(got.error().offset, c.input.size()) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Base64V28Test, testing::ValuesIn(kV28Cases),
                         testing_support::LabelName());

}  // namespace
}  // namespace regauth::protocol
