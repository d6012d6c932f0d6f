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
    if (choice.backend != "auto" && choice.backend != "opencv" && choice.backend != "torch")
      return Status::InvalidArgument("--backend must be auto, opencv or torch, got '" + choice.backend + "'");
    m.spec.backend = choice.backend;
  }
  const std::string requested = m.spec.backend;
  // A spec saying opencv, with .pt / Keras .h5 weights (e.g. --weights): only LibTorch reads those.
  if (choice.backend.empty()) m.spec.backend = EffectiveBackend(m.spec);
  if (!choice.device.empty()) m.spec.device = choice.device;
  if (!choice.precision.empty()) m.spec.precision = choice.precision;
  Status options_ok = CheckDeviceAndPrecision(m.spec.device, m.spec.precision);
  if (!options_ok.ok()) return options_ok.WithContext("--device/--precision");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  m.threads = choice.threads > 0 ? choice.threads : cores;
  VERGER_ASSIGN_OR_RETURN(m.backend, CreateBackend(m.spec, BackendOptions{m.threads}));
  if (m.spec.backend != requested) {
    m.backend->set_choice(m.spec.backend + ", because only LibTorch reads these weights (the spec says " + requested + ")");
  }
  m.spec.backend = m.backend->id();
  VERGER_ASSIGN_OR_RETURN(m.spec_hash, ModelSpecHash(m.spec));
  m.batch = choice.batch > 0 ? choice.batch : m.backend->default_batch();
  return m;
}

}  // namespace verger
