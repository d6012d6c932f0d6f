// Just enough XML for S3 responses (ListObjectsV2, errors, multipart): flat
// element lookup by tag name and entity decoding. Not a general parser: no
// namespace prefixes, CDATA or nested elements of the same name. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace verger::s3xml {

// Inner text of every <tag>...</tag> (also <tag attr="..">) in `doc`, in
// order, raw (entities not decoded). <tag/> yields "".
std::vector<std::string_view> Elements(std::string_view doc, std::string_view tag);

// Decoded text of the first <tag> in `doc`, or "" when absent.
std::string Text(std::string_view doc, std::string_view tag);

// Decodes &amp; &lt; &gt; &quot; &apos; and &#N; / &#xN; (to UTF-8).
std::string Unescape(std::string_view s);

// Escapes & < > " ' for element text.
std::string Escape(std::string_view s);

}  // namespace verger::s3xml
