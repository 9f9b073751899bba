// result.h — the return type of every fallible function in regauth::protocol.
//
// Provides Error<Code> (a typed code, the byte offset where parsing stopped, and a short static
// reason) and Result<T, Code>, a value-or-Error type whose surface is the subset of C++23
// std::expected that the code uses (has_value, value, error, operator*, operator->, explicit
// bool). Moving to std::expected is a one-line change of the Expected alias below.
//
// Every domain declares its own `enum class FooError` and a `std::string_view CodeName(FooError)`
// found by ADL, so a caller (inspect, reports, tests) can print "code":"unterminated_quoted_string"
// without knowing the domain.
//
// Usage:
//   Result<Challenge, ChallengeError> r = ParseChallenges(header);
//   if (!r) return Fail(r.error());            // propagate
//   for (const Challenge& c : *r) ...
//
//   return Fail(ChallengeError::kUnterminatedQuotedString, pos, "quoted-string not closed");
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace regauth::protocol {

// Error is what a fallible function returns instead of a value. `reason` always points to
// static storage (a string literal): it never holds input bytes, so it can be logged safely.
template <typename Code>
struct Error {
  Code code{};
  std::size_t offset = 0;   // byte offset into the input where the problem was detected
  std::string_view reason;  // short, static, human-readable

  friend bool operator==(const Error& a, const Error& b) {
    return a.code == b.code && a.offset == b.offset;
  }
};

// Unexpected wraps an error so that it converts into any Expected<T, E>.
template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

// Expected<T, E> holds a T or an E. Accessing the wrong alternative is a programming error
// (std::get throws std::bad_variant_access), never a reaction to input.
template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  using value_type = T;
  using error_type = E;

  Expected() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Expected(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT(runtime/explicit)
  Expected(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(runtime/explicit)
  template <typename G>
  Expected(Unexpected<G> u)  // NOLINT(runtime/explicit)
      : v_(std::in_place_index<1>, E(std::move(u).error())) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const E& error() const { return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> v_;
};

// Expected<void, E>: success carries no value.
template <typename E>
class [[nodiscard]] Expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Expected() = default;
  template <typename G>
  Expected(Unexpected<G> u)  // NOLINT(runtime/explicit)
      : error_(E(std::move(u).error())), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {}
  const E& error() const { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

template <typename T, typename Code>
using Result = Expected<T, Error<Code>>;

template <typename Code>
using Status = Expected<void, Error<Code>>;

// Fail builds the Unexpected that a fallible function returns.
template <typename Code>
Unexpected<Error<Code>> Fail(Code code, std::size_t offset, std::string_view reason) {
  return Unexpected<Error<Code>>(Error<Code>{code, offset, reason});
}
template <typename Code>
Unexpected<Error<Code>> Fail(const Error<Code>& e) {
  return Unexpected<Error<Code>>(e);
}

}  // namespace regauth::protocol
