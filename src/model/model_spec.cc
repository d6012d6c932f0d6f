#include "model/model_spec.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/did_you_mean.h"
#include "core/file_util.h"
#include "core/hash.h"
#include "model/builtin_specs.h"
#include "model/mapped_file.h"

namespace verger {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Records the parser's error text: nlohmann's non-throwing parse() only
// says "discarded", and the library must not use exceptions.
struct ErrorRecorder : nlohmann::json_sax<Json> {
  std::string error;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    error = ex.what();
    return false;
  }
};

const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> keys = {
      "name",          "weights",       "format",        "backend",        "input_name",     "input_width",
      "input_height",  "color_order",   "normalization", "resize_filter",  "feature_tensor", "pooling",
      "feature_dim",   "device",        "precision"};
  return keys;
}

// Typed field readers: each error names the spec and the field.
class FieldReader {
 public:
  FieldReader(const Json& obj, const std::string& spec_path) : obj_(obj), path_(spec_path) {}

  Status Bad(const std::string& key, const std::string& why) const {
    return Status::InvalidArgument("model spec " + path_ + ": field \"" + key + "\" " + why);
  }

  // Leaves *out unchanged when the key is absent and !required.
  Status String(const std::string& key, bool required, std::string* out) const {
    auto it = obj_.find(key);
    if (it == obj_.end()) return required ? Bad(key, "is required (a string)") : Status::OK();
    if (!it->is_string()) return Bad(key, "must be a string, got " + std::string(it->type_name()));
    *out = it->get<std::string>();
    if (required && out->empty()) return Bad(key, "must not be empty");
    return Status::OK();
  }

  Status Int(const std::string& key, bool required, int64_t lo, int64_t hi, int64_t* out) const {
    auto it = obj_.find(key);
    if (it == obj_.end()) return required ? Bad(key, "is required (an integer)") : Status::OK();
    if (!it->is_number_integer()) return Bad(key, "must be an integer, got " + std::string(it->type_name()));
    int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : it->get<int64_t>();
    if (v < lo || v > hi) {
      return Bad(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
    }
    *out = v;
    return Status::OK();
  }

  // An enum spelled as a string, parsed by `parse` (whose error lists the choices).
  template <typename E, typename ParseFn>
  Status Enum(const std::string& key, bool required, ParseFn parse, E* out) const {
    std::string text;
    bool present = obj_.contains(key);
    VERGER_RETURN_IF_ERROR(String(key, required, &text));
    if (!present) return Status::OK();
    Result<E> r = parse(text);
    if (!r.ok()) return Bad(key, "is invalid: " + r.status().message());
    *out = *r;
    return Status::OK();
  }

 private:
  const Json& obj_;
  const std::string& path_;
};

Json ToJsonObject(const ModelSpec& s) {
  Json j = Json::object();
  j["name"] = s.name;
  j["weights"] = s.weights;
  j["format"] = s.format;
  j["backend"] = std::string(Name(s.backend));
  j["device"] = std::string(Name(s.device));
  j["precision"] = std::string(Name(s.precision));
  j["input_name"] = s.input_name;
  j["input_width"] = s.input_width;
  j["input_height"] = s.input_height;
  j["color_order"] = std::string(Name(s.color_order));
  j["normalization"] = std::string(Name(s.normalization));
  j["resize_filter"] = std::string(Name(s.resize_filter));
  j["feature_tensor"] = s.feature_tensor;
  j["pooling"] = std::string(Name(s.pooling));
  j["feature_dim"] = s.feature_dim;
  return j;
}

// The weights file must exist and be a regular file; `who` names the spec.
Status CheckWeightsFile(const std::string& who, const std::string& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return Status::NotFound("model " + who + ": weights file " + path + " does not exist");
  if (!fs::is_regular_file(st)) return Status::InvalidArgument("model " + who + ": weights " + path + " is not a file");
  return Status::OK();
}

std::string Absolute(const fs::path& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return (ec ? p : a).lexically_normal().string();
}

}  // namespace

namespace {

// The value of `names` equal to `s`, as an index, or InvalidArgument saying
// what `what` accepts.
Result<size_t> IndexOf(std::string_view what, std::string_view s, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i)
    if (s == names[i]) return i;
  std::string accepted;
  for (size_t i = 0; i < names.size(); ++i)
    accepted += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(s) + "' (expected " + accepted +
                                 ")" + DidYouMeanSuffix(s, names));
}

}  // namespace

const std::vector<std::string>& BackendKindNames() {
  static const std::vector<std::string> names = {"auto", "opencv", "torch"};
  return names;
}
const std::vector<std::string>& DeviceNames() {
  static const std::vector<std::string> names = {"cpu", "cuda"};
  return names;
}
const std::vector<std::string>& PrecisionNames() {
  static const std::vector<std::string> names = {"fp32", "bf16", "int8"};
  return names;
}

Result<BackendKind> ParseBackendKind(std::string_view s) {
  VERGER_ASSIGN_OR_RETURN(size_t i, IndexOf("backend", s, BackendKindNames()));
  return static_cast<BackendKind>(i);
}
Result<Device> ParseDevice(std::string_view s) {
  VERGER_ASSIGN_OR_RETURN(size_t i, IndexOf("device", s, DeviceNames()));
  return static_cast<Device>(i);
}
Result<Precision> ParsePrecision(std::string_view s) {
  VERGER_ASSIGN_OR_RETURN(size_t i, IndexOf("precision", s, PrecisionNames()));
  return static_cast<Precision>(i);
}
std::string_view Name(BackendKind b) { return BackendKindNames()[static_cast<size_t>(b)]; }
std::string_view Name(Device d) { return DeviceNames()[static_cast<size_t>(d)]; }
std::string_view Name(Precision p) { return PrecisionNames()[static_cast<size_t>(p)]; }

Result<Pooling> ParsePooling(std::string_view s) {
  if (s == "avg") return Pooling::kAvg;
  if (s == "max") return Pooling::kMax;
  if (s == "none") return Pooling::kNone;
  return Status::InvalidArgument("unknown pooling '" + std::string(s) + "' (expected avg, max or none)");
}

std::string_view Name(Pooling p) {
  switch (p) {
    case Pooling::kAvg: return "avg";
    case Pooling::kMax: return "max";
    case Pooling::kNone: return "none";
  }
  return "?";
}

bool operator==(const ModelSpec& a, const ModelSpec& b) { return ToJsonObject(a) == ToJsonObject(b); }

Result<ModelSpec> ParseModelSpec(const std::string& json_text, const std::string& spec_path) {
  Json doc = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    ErrorRecorder rec;
    Json::sax_parse(json_text, &rec);
    return Status::InvalidArgument("model spec " + spec_path + ": not valid JSON: " + rec.error);
  }
  if (!doc.is_object()) {
    return Status::InvalidArgument("model spec " + spec_path + ": expected a JSON object, got " +
                                   std::string(doc.type_name()));
  }
  for (const auto& [key, value] : doc.items()) {
    if (!KnownKeys().count(key)) {
      return Status::InvalidArgument("model spec " + spec_path + ": unknown field \"" + key +
                                     "\" (see docs/models.md for the fields)");
    }
  }
  FieldReader f(doc, spec_path);
  ModelSpec s;
  s.name = fs::path(spec_path).stem().string();
  VERGER_RETURN_IF_ERROR(f.String("name", false, &s.name));
  if (s.name.empty()) return f.Bad("name", "must not be empty");
  VERGER_RETURN_IF_ERROR(f.String("weights", true, &s.weights));
  VERGER_RETURN_IF_ERROR(f.String("format", false, &s.format));
  if (s.format != "onnx" && s.format != "torchscript")
    return f.Bad("format", "must be \"onnx\" or \"torchscript\", got \"" + s.format + "\"");
  VERGER_RETURN_IF_ERROR(f.Enum("backend", false, ParseBackendKind, &s.backend));
  if (s.format == "torchscript" && s.backend == BackendKind::kOpenCv)
    return f.Bad("format", "\"torchscript\" needs \"backend\": \"torch\" or \"auto\"");
  VERGER_RETURN_IF_ERROR(f.Enum("device", false, ParseDevice, &s.device));
  VERGER_RETURN_IF_ERROR(f.Enum("precision", false, ParsePrecision, &s.precision));
  VERGER_RETURN_IF_ERROR(f.String("input_name", true, &s.input_name));
  int64_t w = s.input_width, h = s.input_height;
  VERGER_RETURN_IF_ERROR(f.Int("input_width", false, 1, 8192, &w));
  VERGER_RETURN_IF_ERROR(f.Int("input_height", false, 1, 8192, &h));
  s.input_width = static_cast<int>(w);
  s.input_height = static_cast<int>(h);
  VERGER_RETURN_IF_ERROR(f.Enum("color_order", true, ParseColorOrder, &s.color_order));
  VERGER_RETURN_IF_ERROR(f.Enum("normalization", true, ParseNormalization, &s.normalization));
  VERGER_RETURN_IF_ERROR(f.Enum("resize_filter", false, ParseResizeFilter, &s.resize_filter));
  VERGER_RETURN_IF_ERROR(f.String("feature_tensor", true, &s.feature_tensor));
  VERGER_RETURN_IF_ERROR(f.Enum("pooling", false, ParsePooling, &s.pooling));
  VERGER_RETURN_IF_ERROR(f.Int("feature_dim", true, 1, int64_t{1} << 31, &s.feature_dim));
  fs::path weights(s.weights);
  if (weights.is_relative()) weights = fs::path(spec_path).parent_path() / weights;
  s.weights = Absolute(weights);
  return s;
}

std::string ModelSpecToJson(const ModelSpec& spec) { return ToJsonObject(spec).dump(); }

Result<std::string> ModelSpecHash(const ModelSpec& spec) {
  auto file = MappedFile::Open(spec.weights);
  if (!file.ok()) return file.status().WithContext("model " + spec.name + ": hashing weights");
  Json j = ToJsonObject(spec);
  j["weights"] = "sha256:" + Sha256Hex(file->bytes());
  return Sha256Hex(j.dump());
}

Result<ModelSpec> LoadModelSpec(const std::string& name_or_path, const std::string& weights_override) {
  ModelSpec spec;
  std::string who;
  if (std::optional<ModelSpec> builtin = BuiltinSpec(name_or_path)) {
    spec = *builtin;
    who = "'" + spec.name + "' (built-in)";
    if (weights_override.empty()) {
      if (spec.weights.empty()) {
        return Status::InvalidArgument(
            "model " + who + " has no shipped weights: export Keras VGG16 cut at layer fc2 to ONNX "
            "(commands in docs/models.md, section \"Getting VGG16\") and pass the file with --weights vgg16.onnx");
      }
      fs::path dir = ModelsDir();
      spec.weights = Absolute(dir / spec.weights);
      Status st = CheckWeightsFile(who, spec.weights);
      if (!st.ok()) {
        return Status(st.code(), st.message() + " (models folder " + dir.string() +
                                     "; set $VERGER_MODELS_DIR to use another)");
      }
      return spec;
    }
  } else {
    std::error_code ec;
    if (!fs::is_regular_file(name_or_path, ec)) {
      std::string names;
      for (const auto& n : BuiltinModelNames()) names += (names.empty() ? "" : ", ") + n;
      return Status::NotFound("model '" + name_or_path + "': not a built-in (" + names +
                              ") and no such spec file");
    }
    VERGER_ASSIGN_OR_RETURN(std::string text, ReadFileText(name_or_path));
    VERGER_ASSIGN_OR_RETURN(spec, ParseModelSpec(text, name_or_path));
    who = "spec " + name_or_path;
  }
  if (!weights_override.empty()) spec.weights = Absolute(weights_override);
  VERGER_RETURN_IF_ERROR(CheckWeightsFile(who, spec.weights));
  return spec;
}

}  // namespace verger
