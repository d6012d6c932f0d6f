#pragma once

// Reading one field of a JSON object that came from outside this process (a
// manifest or marker on disk, a metadata-service reply): a missing field, a
// field of the wrong type, or a document that is not an object at all all give
// the fallback. nlohmann's own value() throws type_error on a wrong type, which
// would turn a damaged file into a crash instead of "not trusted, skipped".

#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace verger {

template <typename T>
T JsonField(const nlohmann::json& j, std::string_view key, T fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  const nlohmann::json& v = *it;
  if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean() ? v.get<bool>() : fallback;
  } else if constexpr (std::is_floating_point_v<T>) {
    return v.is_number() ? v.get<T>() : fallback;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    // A parsed non-negative integer is unsigned; one built in code may be signed.
    if (v.is_number_unsigned()) return v.get<T>();
    return v.is_number_integer() && v.get<int64_t>() >= 0 ? static_cast<T>(v.get<int64_t>()) : fallback;
  } else if constexpr (std::is_integral_v<T>) {
    return v.is_number_integer() ? v.get<T>() : fallback;
  } else {
    static_assert(std::is_same_v<T, nlohmann::json>, "JsonField: unsupported type");
    // An array stays an array and an object an object: callers iterate them.
    return v.type() == fallback.type() ? v : fallback;
  }
}

inline std::string JsonField(const nlohmann::json& j, std::string_view key, const char* fallback) {
  return JsonField<std::string>(j, key, std::string(fallback));
}

}  // namespace verger
