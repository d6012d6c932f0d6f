// `verger inspect`: a human summary of an output location (manifest,
// partitions, PCA) and the first rows of one of its tables, in any format.
#pragma once

#include <cstdint>
#include <string>

#include "io/object_store.h"

namespace verger {

struct InspectOptions {
  std::string location;              // an output of extract/run
  std::string dataset = "features";  // "features" or "reduced"
  int64_t rows = 5;                  // rows to show
  int64_t columns = 8;               // values per row to show
  StoreOptions store;
};

Result<std::string> InspectOutput(const InspectOptions& options);

}  // namespace verger
