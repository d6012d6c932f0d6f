#include "engine/model_loader.h"

#include <algorithm>
#include <thread>

namespace verger {

Result<LoadedModel> LoadModel(const ModelChoice& choice) {
  if (choice.threads < 0) return Status::InvalidArgument("--threads must be >= 0 (0 = all cores)");
  if (choice.batch < 0 || choice.batch > 4096)
    return Status::InvalidArgument("--batch must be between 1 and 4096 (0 = the backend's default)");
  LoadedModel m;
  VERGER_ASSIGN_OR_RETURN(m.spec, LoadModelSpec(choice.model, choice.weights));
  if (!choice.backend.empty()) {
    auto backend = ParseBackendKind(choice.backend);
    if (!backend.ok()) return backend.status().WithContext("--backend");
    m.spec.backend = *backend;
  }
  const BackendKind requested = m.spec.backend;
  // A spec saying opencv, with .pt / Keras .h5 weights (e.g. --weights): only LibTorch reads those.
  if (choice.backend.empty()) m.spec.backend = EffectiveBackend(m.spec);
  if (!choice.device.empty()) {
    auto device = ParseDevice(choice.device);
    if (!device.ok()) return device.status().WithContext("--device");
    m.spec.device = *device;
  }
  if (!choice.precision.empty()) {
    auto precision = ParsePrecision(choice.precision);
    if (!precision.ok()) return precision.status().WithContext("--precision");
    m.spec.precision = *precision;
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  m.threads = choice.threads > 0 ? choice.threads : cores;
  auto backend = CreateBackend(m.spec, BackendOptions{m.threads});
  // A damaged weights file is the user's configuration (exit 2, issue 15);
  // Corrupt (exit 1) is kept for damaged job state: markers, manifests, statistics.
  if (!backend.ok() && backend.status().code() == StatusCode::kCorrupt)
    return Status::InvalidArgument(backend.status().message());
  if (!backend.ok()) return backend.status();
  m.backend = std::move(backend).value();
  if (m.spec.backend != requested) {
    m.backend->set_choice(std::string(Name(m.spec.backend)) + ", because only LibTorch reads these weights (the spec says " +
                          std::string(Name(requested)) + ")");
  }
  m.spec.backend = m.backend->id();
  VERGER_ASSIGN_OR_RETURN(m.spec_hash, ModelSpecHash(m.spec));
  m.batch = choice.batch > 0 ? choice.batch : m.backend->default_batch();
  return m;
}

}  // namespace verger
