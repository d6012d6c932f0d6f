// Status and Result<T>: the library's only error channel. Exceptions are
// reserved for the edges (CLI main, Python bindings).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace verger {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad option, bad spec, bad user input
  kNotFound,          // a key, file or tensor that does not exist
  kAlreadyExists,     // refusing to overwrite
  kIOError,           // the OS or a store failed
  kCorrupt,           // bytes that do not parse (image, npy, stats file)
  kUnsupported,       // valid input we do not handle
  kResourceExhausted, // limits: pixel bombs, --max-errors
  kPermissionDenied,  // credentials or file permissions
  kCancelled,
  kInternal,
  kUnavailable,       // a store that cannot be reached or keeps failing: the job's problem, not one object's
};

std::string_view StatusCodeName(StatusCode code);

// A Status is either OK or a code plus a message that names the input (key
// or path) and the cause.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;
  // Same code, message prefixed with "context: ".
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& o) const { return code_ == o.code_ && message_ == o.message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T ValueOr(T fallback) && { return ok() ? std::get<T>(std::move(v_)) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace verger

#define VERGER_CONCAT_INNER_(a, b) a##b
#define VERGER_CONCAT_(a, b) VERGER_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define VERGER_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::verger::Status verger_status_ = (expr);        \
    if (!verger_status_.ok()) return verger_status_; \
  } while (0)

#define VERGER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

// `VERGER_ASSIGN_OR_RETURN(auto x, MakeX());` returns the error or binds x.
#define VERGER_ASSIGN_OR_RETURN(lhs, rexpr) \
  VERGER_ASSIGN_OR_RETURN_IMPL_(VERGER_CONCAT_(verger_result_, __LINE__), lhs, rexpr)
