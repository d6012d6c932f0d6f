// Counts a features job reports in its summary and manifest: rows and
// failures per label, failures per kind of reason.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/job_records.h"

namespace verger {

// The kind of an errors.csv reason: its text up to the first ':' ("cannot
// decode JPEG: Premature end..." -> "cannot decode JPEG"), so reasons that
// differ only in detail are counted together.
std::string ReasonKind(std::string_view reason);

// Rows and failures per label, failures per reason kind, from partition
// markers (their files and errors) and the listing's problems; a failed
// key's label is its parent folder (`root_label` for keys directly under
// the input).
JobCounts CountByLabelAndReason(const std::vector<PartitionMarker>& partitions,
                                const std::vector<ImageError>& listing_errors, std::string_view root_label);

// "Apple 1 490 ok; Banana 1 489 ok, 1 failed; ..." and "not a JPEG 3; ..."
// lines for the summary; at most `max_items` entries each, then "... (N more)".
std::string FormatLabelCounts(const JobCounts& counts, size_t max_items);
std::string FormatReasonCounts(const JobCounts& counts, size_t max_items);

}  // namespace verger
