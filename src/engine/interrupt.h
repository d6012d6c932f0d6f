// Cooperative stop on SIGINT/SIGTERM: the handler only sets a flag; jobs
// check it between images and partitions, so what is written stays whole
// (finished partitions keep their markers, no temporary is left) and a
// rerun with --resume continues. A second signal exits at once (130).
#pragma once

#include <cstdint>

#include "core/status.h"

namespace verger {

// Installs the handlers (the CLI does; library users keep their own).
void InstallInterruptHandlers();
bool InterruptRequested();
// Sets the flag as a signal would (tests, embedding code).
void RequestInterrupt();

// Cancelled: "interrupted: N of M partitions complete; rerun the same
// command with --resume".
Status InterruptedStatus(int64_t complete, int64_t total);

}  // namespace verger
