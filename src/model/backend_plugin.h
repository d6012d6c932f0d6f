// Inference backends live in plugins (libverger_torch.so from
// src/model/torch_*.cc, libverger_opencv.so from src/model/opencv_*.cc),
// loaded with dlopen only when a job needs them, so commands that run no
// network start without mapping LibTorch or OpenCV (hundreds of shared
// libraries). Internal to the model library: callers use CreateBackend().
//
// A plugin exports the C-linkage symbols declared below. Both sides are
// built from the same tree by the same compiler, so C++ types cross the
// boundary; kBackendPluginAbi guards against a stale plugin.
#pragma once

#include <memory>
#include <string>

#include "model/backend.h"

// Bump when ModelSpec, BackendOptions, InferenceBackend or Status change layout.
#define VERGER_BACKEND_PLUGIN_ABI 1

extern "C" {
// Returns VERGER_BACKEND_PLUGIN_ABI as the plugin was built.
__attribute__((visibility("default"))) int verger_backend_plugin_abi();
// Creates the plugin's backend for `spec` into *out (an error Status on failure).
__attribute__((visibility("default"))) void verger_create_backend(const verger::ModelSpec& spec, const verger::BackendOptions& options,
                           verger::Result<std::unique_ptr<verger::InferenceBackend>>* out);
}

// Defines both symbols of a plugin whose factory is `factory`.
#define VERGER_DEFINE_BACKEND_PLUGIN(factory)                                                      \
  extern "C" int verger_backend_plugin_abi() { return VERGER_BACKEND_PLUGIN_ABI; }                  \
  extern "C" void verger_create_backend(const verger::ModelSpec& spec,                               \
                                        const verger::BackendOptions& options,                       \
                                        verger::Result<std::unique_ptr<verger::InferenceBackend>>* out) { \
    *out = factory(spec, options);                                                                   \
  }

namespace verger {

// Loads libverger_<name>.so (once per process; never unloaded) and creates
// its backend. The plugin is looked up in $VERGER_PLUGIN_DIR when set, else
// as the dynamic linker finds libraries for this program (its RUNPATH:
// <prefix>/lib when installed, build/<preset>/lib in a build tree;
// LD_LIBRARY_PATH; the system folders). Unsupported, naming the file and
// every folder searched, when it cannot be loaded. Before the first load it
// tunes the process for inference (TuneProcessForInference).
Result<std::unique_ptr<InferenceBackend>> CreatePluginBackend(const std::string& name, const ModelSpec& spec,
                                                              const BackendOptions& options);

// Sets what must be in place before LibTorch or OpenCV load, for every
// driver (CLI, Python module, Dask workers): OMP_WAIT_POLICY=PASSIVE
// unless set (libgomp reads it once, when it loads: its spinning workers
// otherwise starve the decode threads, 4x slower on shared cores), and
// glibc malloc kept from returning large blocks to the kernel (inference
// frees and re-allocates tens of MB per layer; the page faults cost up to
// 3x at batch 32, docs/benchmarks.md). Idempotent.
void TuneProcessForInference();

}  // namespace verger
