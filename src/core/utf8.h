// Names are bytes: file names and S3 keys need not be UTF-8, but JSON,
// Parquet and Python strings must be. These helpers tell the two apart and
// give a printable, valid-UTF-8 form of any name.
#pragma once

#include <string>
#include <string_view>

namespace verger {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool IsUtf8(std::string_view s);

// `s` itself if it is UTF-8; otherwise a valid-UTF-8 rendering where every
// byte that is not part of a well-formed sequence reads `\xNN` (lower-case
// hex) and a backslash reads `\\`, so the rendering is unambiguous:
// "A/\xff\xfe.jpg" for the bytes 'A' '/' 0xFF 0xFE '.' 'j' 'p' 'g'.
std::string EscapeNonUtf8(std::string_view s);

}  // namespace verger
