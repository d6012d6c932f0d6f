// verger._verger: see py_common.h and verger/__init__.py.
#include "python/py_common.h"

#include "engine/output_layout.h"

PYBIND11_MODULE(_verger, m) {
  m.doc() = "verger's C++ engine: planning, per-partition extraction, PCA statistics, fit and transform";
  m.attr("__version__") = verger::kVergerVersion;
  verger::python::BindStore(m);
  verger::python::BindExtract(m);
  verger::python::BindPca(m);
  verger::python::BindFeaturize(m);
  verger::python::BindJob(m);
}
