// Shared pieces of the `verger._verger` bindings: Status -> Python
// exception (classes from verger/errors.py, messages unchanged), JSON and
// image-item conversions, and the Store wrapper. Everything here needs the
// GIL; C++ work runs in NoGil(...) so other Python threads (a Dask worker's
// event loop) keep going.
#pragma once

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/status.h"
#include "engine/image_listing.h"
#include "io/object_store.h"
#include "reduce/pca_model.h"

namespace verger::python {

namespace py = pybind11;

// Raises the verger.errors class for s.code() with s.message().
[[noreturn]] void ThrowStatus(const Status& s);
inline void Check(const Status& s) {
  if (!s.ok()) ThrowStatus(s);
}
template <typename T>
T Unwrap(Result<T> r) {
  if (!r.ok()) ThrowStatus(r.status());
  return std::move(r).value();
}

// Runs `f` without the GIL and returns its value (a Status or Result).
template <typename F>
auto NoGil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

py::object ToPy(const nlohmann::json& j);

// What a PCA fit reports to Python: n_samples, dim, components and the
// explained variance ratio in total ("explained").
py::dict FitSummaryToPy(const PcaModel& model);
nlohmann::json FromPy(py::handle o);

// A typed record (engine/job_records.h) from the dict Python holds: a
// damaged one raises CorruptError naming `what` and the field.
template <typename T>
T RecordFromPy(py::handle o, const std::string& what) {
  return Unwrap(T::FromJson(FromPy(o), what));
}
template <typename T>
std::vector<T> RecordsFromPy(py::handle list, const std::string& what) {
  std::vector<T> out;
  size_t i = 0;
  for (py::handle o : list) out.push_back(RecordFromPy<T>(o, what + "[" + std::to_string(i++) + "]"));
  return out;
}

// Image items cross into Python as (key, label, size, mtime_ns, etag)
// tuples: plain data that pickles to Dask workers as is.
using ItemTuple = std::tuple<std::string, std::string, uint64_t, int64_t, std::string>;
std::vector<ImageItem> ItemsFromPy(const std::vector<ItemTuple>& items);
std::vector<ItemTuple> ItemsToPy(const std::vector<ImageItem>& items);

// A store opened from a URI; pickles as its URI and options (reopened on
// unpickling), so tasks can carry one to another process.
struct PyStore {
  std::string uri_arg;
  StoreOptions options;
  std::shared_ptr<ObjectStore> store;
};
PyStore OpenPyStore(const std::string& uri, const StoreOptions& options);

void BindStore(py::module_& m);
void BindExtract(py::module_& m);
void BindPca(py::module_& m);
void BindFeaturize(py::module_& m);
void BindJob(py::module_& m);

}  // namespace verger::python
