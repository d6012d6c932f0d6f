// Entry point of libverger_torch.so (every src/model/torch_*.cc), loaded by
// CreatePluginBackend("torch", ...).
#include "model/backend_plugin.h"
#include "model/torch_backend.h"

VERGER_DEFINE_BACKEND_PLUGIN(verger::CreateTorchBackend)
