// Entry point of libverger_opencv.so (every src/model/opencv_*.cc), loaded by
// CreatePluginBackend("opencv", ...).
#include "model/backend_plugin.h"
#include "model/opencv_backend.h"

VERGER_DEFINE_BACKEND_PLUGIN(verger::CreateOpenCvBackend)
