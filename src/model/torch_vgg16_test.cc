// ConvertKerasVgg16's refusals as the torch backend meets them (TorchScriptFor);
// the conversion itself is checked end to end against the Python converter
// (tests/torch/test_installed_convert.py) and a numpy Keras forward pass
// (tests/torch/test_convert_keras_h5.py), which need full-size weights.
#include "model/torch_vgg16.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "model/builtin_specs.h"
#include "model/torch_convert.h"

namespace verger {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(TorchVgg16, KerasFileWithoutVggLayersIsRefusedAndLeavesNoCacheFile) {
  const fs::path dir = fs::temp_directory_path() / ("verger_torch_vgg16_" + std::to_string(getpid()));
  fs::create_directories(dir);
  // Keras .h5 files with other layers (conv, dense), written by h5py.
  const std::string cmd = "/usr/bin/python3 '" VERGER_MODEL_SOURCE_DIR "/keras_h5_fixture.py' '" + dir.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ASSERT_EQ(setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1), 0);

  ModelSpec spec = *BuiltinSpec("vgg16");
  spec.weights = (dir / "model.h5").string();
  auto pt = TorchScriptFor(spec);
  ASSERT_FALSE(pt.ok());
  EXPECT_EQ(pt.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(pt.status().message(), HasSubstr("model vgg16"));
  EXPECT_THAT(pt.status().message(), HasSubstr(spec.weights));
  EXPECT_THAT(pt.status().message(), HasSubstr("layer block1_conv1 (group /model_weights/block1_conv1)"));
  EXPECT_TRUE(fs::is_empty(dir / "cache" / "verger")) << "a failed conversion left a file in the cache";

  auto direct = ConvertKerasVgg16((dir / "not_hdf5.h5").string(), (dir / "out.pt").string());
  EXPECT_EQ(direct.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(direct.message(), HasSubstr("not an HDF5 file"));
  EXPECT_FALSE(fs::exists(dir / "out.pt"));
  unsetenv("XDG_CACHE_HOME");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace verger
