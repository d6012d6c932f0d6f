// Escaping text for XML and HTML documents (the SVG pictures, the report page).
#pragma once

#include <string>
#include <string_view>

namespace verger {

// `s` as XML/HTML text or attribute value: & < > " ' become entities
// (&#39; for the apostrophe, valid in both), and control characters other
// than tab and newline, which XML 1.0 forbids, become spaces.
std::string EscapeMarkup(std::string_view s);

}  // namespace verger
