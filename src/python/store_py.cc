#include <pybind11/stl.h>

#include "python/py_common.h"

namespace verger::python {

void ThrowStatus(const Status& s) {
  py::object errors = py::module_::import("verger.errors");
  py::object cls = errors.attr("error_class")(std::string(StatusCodeName(s.code())));
  PyErr_SetObject(cls.ptr(), py::str(s.message()).ptr());
  throw py::error_already_set();
}

py::object ToPy(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(py::str(j.dump()));
}

nlohmann::json FromPy(py::handle o) {
  std::string text = py::str(py::module_::import("json").attr("dumps")(o));
  return nlohmann::json::parse(text);
}

std::vector<ImageItem> ItemsFromPy(const std::vector<ItemTuple>& items) {
  std::vector<ImageItem> out;
  out.reserve(items.size());
  for (const auto& [key, label, size, mtime, etag] : items) out.push_back({key, label, size, mtime, etag});
  return out;
}

std::vector<ItemTuple> ItemsToPy(const std::vector<ImageItem>& items) {
  std::vector<ItemTuple> out;
  out.reserve(items.size());
  for (const auto& i : items) out.emplace_back(i.key, i.label, i.size, i.mtime_ns, i.etag);
  return out;
}

PyStore OpenPyStore(const std::string& uri, const StoreOptions& options) {
  auto store = Unwrap(NoGil([&] { return OpenObjectStore(uri, options); }));
  return PyStore{uri, options, std::shared_ptr<ObjectStore>(std::move(store))};
}

void BindStore(py::module_& m) {
  py::class_<PyStore>(m, "Store",
                      "A local folder or s3://bucket/prefix (verger's ObjectStore). Thread-safe. Pickles as its\n"
                      "URI and options, so it can be sent to Dask workers.")
      .def_property_readonly("uri", [](const PyStore& s) { return s.store->uri(); })
      .def("describe", [](const PyStore& s, const std::string& key) { return s.store->Describe(key); })
      .def(
          "list",
          [](const PyStore& s, const std::string& prefix) {
            Listing l = Unwrap(NoGil([&] { return s.store->List(prefix); }));
            py::list objects, problems;
            for (const auto& o : l.objects) objects.append(py::make_tuple(o.key, o.size, o.mtime_ns, o.etag));
            for (const auto& p : l.problems) problems.append(py::make_tuple(p.key, p.reason));
            return py::make_tuple(objects, problems);
          },
          py::arg("prefix") = "", "([(key, size, mtime_ns, etag)], [(key, reason)]) under prefix, sorted by key")
      .def(
          "read",
          [](const PyStore& s, const std::string& key) {
            auto bytes = Unwrap(NoGil([&] { return s.store->Read(key); }));
            return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          },
          py::arg("key"), "The whole object; FileNotFoundError (verger.NotFoundError) if absent")
      .def(
          "write",
          [](PyStore& s, const std::string& key, const py::bytes& data) {
            char* buf = nullptr;
            Py_ssize_t len = 0;
            PyBytes_AsStringAndSize(data.ptr(), &buf, &len);
            Check(NoGil([&] {
              return s.store->WriteAtomic(key, {reinterpret_cast<const uint8_t*>(buf), static_cast<size_t>(len)});
            }));
          },
          py::arg("key"), py::arg("data"), "Atomic write (readers see the old object or the whole new one)")
      .def("exists", [](const PyStore& s, const std::string& key) { return Unwrap(NoGil([&] { return s.store->Exists(key); })); })
      .def("delete", [](PyStore& s, const std::string& key) { Check(NoGil([&] { return s.store->Delete(key); })); })
      .def("__repr__", [](const PyStore& s) { return "verger.Store('" + s.store->uri() + "')"; })
      .def(py::pickle(
          [](const PyStore& s) {
            return py::make_tuple(s.uri_arg, s.options.create, s.options.s3_endpoint, s.options.s3_region,
                                  s.options.s3_path_style);
          },
          [](const py::tuple& t) {
            StoreOptions o;
            o.create = t[1].cast<bool>();
            o.s3_endpoint = t[2].cast<std::string>();
            o.s3_region = t[3].cast<std::string>();
            o.s3_path_style = t[4].cast<bool>();
            return OpenPyStore(t[0].cast<std::string>(), o);
          }));

  m.def(
      "open_store",
      [](const std::string& uri, bool create, const std::string& s3_endpoint, const std::string& s3_region,
         bool s3_path_style) {
        StoreOptions o;
        o.create = create;
        o.s3_endpoint = s3_endpoint;
        o.s3_region = s3_region;
        o.s3_path_style = s3_path_style;
        return OpenPyStore(uri, o);
      },
      py::arg("uri"), py::kw_only(), py::arg("create") = false, py::arg("s3_endpoint") = "",
      py::arg("s3_region") = "", py::arg("s3_path_style") = false,
      "Opens a local folder (create=True makes it) or s3://bucket/prefix. NotFoundError if missing.");
}

}  // namespace verger::python
