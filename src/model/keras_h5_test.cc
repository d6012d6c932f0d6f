#include "model/keras_h5.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace verger {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// .h5 files written by h5py (keras_h5_fixture.py beside this file), once per run.
class KerasH5Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("verger_keras_h5_" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    const std::string cmd = "/usr/bin/python3 '" VERGER_MODEL_SOURCE_DIR "/keras_h5_fixture.py' '" + dir_->string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << " failed (it needs python3-h5py, scripts/debian-packages.txt)";
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string File(const std::string& name) { return (*dir_ / name).string(); }

  static fs::path* dir_;
};
fs::path* KerasH5Test::dir_ = nullptr;

// kernel[i] = i / 4 - 3, bias[i] = 100 + i (keras_h5_fixture.py).
void ExpectFixtureValues(const KerasLayerWeights& w) {
  for (size_t i = 0; i < w.kernel.values.size(); ++i) ASSERT_EQ(w.kernel.values[i], float(i) / 4 - 3) << i;
  for (size_t i = 0; i < w.bias.values.size(); ++i) ASSERT_EQ(w.bias.values[i], 100.f + float(i)) << i;
}

TEST_F(KerasH5Test, ReadsSaveWeightsLayout) {
  auto f = KerasH5File::Open(File("weights.h5"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_THAT(f->layer_names(), ElementsAre("input_1", "conv", "dense"));
  auto conv = f->ReadLayer("conv", {3, 3, 2, 4});
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  EXPECT_EQ(conv->kernel.dataset, "/conv/conv/kernel:0");
  EXPECT_THAT(conv->kernel.shape, ElementsAre(3, 3, 2, 4));
  EXPECT_EQ(conv->kernel.values.size(), 72u);
  EXPECT_THAT(conv->bias.shape, ElementsAre(4));
  ExpectFixtureValues(*conv);
  // float64 datasets and variable-length weight_names.
  auto dense = f->ReadLayer("dense", {5, 3});
  ASSERT_TRUE(dense.ok()) << dense.status().ToString();
  EXPECT_EQ(dense->kernel.values.size(), 15u);
  ExpectFixtureValues(*dense);
}

TEST_F(KerasH5Test, ReadsWholeModelLayoutWithChunkedLayerNames) {
  auto f = KerasH5File::Open(File("model.h5"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_THAT(f->layer_names(), ElementsAre("conv", "dense"));
  auto dense = f->ReadLayer("dense", {5, 3});
  ASSERT_TRUE(dense.ok()) << dense.status().ToString();
  EXPECT_EQ(dense->kernel.dataset, "/model_weights/dense/dense/kernel:0");
  ExpectFixtureValues(*dense);
}

TEST_F(KerasH5Test, WrongShapeNamesFileDatasetAndBothShapes) {
  auto f = KerasH5File::Open(File("weights.h5"));
  ASSERT_TRUE(f.ok());
  auto w = f->ReadLayer("conv", {3, 3, 3, 4});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr(File("weights.h5")));
  EXPECT_THAT(w.status().message(), HasSubstr("/conv/conv/kernel:0"));
  EXPECT_THAT(w.status().message(), HasSubstr("(3, 3, 2, 4)"));
  EXPECT_THAT(w.status().message(), HasSubstr("expected (3, 3, 3, 4)"));
}

TEST_F(KerasH5Test, MissingLayerNamesFileAndLayer) {
  auto f = KerasH5File::Open(File("weights.h5"));
  ASSERT_TRUE(f.ok());
  auto w = f->ReadLayer("fc1", {5, 3});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(w.status().message(), HasSubstr(File("weights.h5")));
  EXPECT_THAT(w.status().message(), HasSubstr("layer fc1"));
}

TEST_F(KerasH5Test, MissingDatasetNamesGroupAndDataset) {
  auto f = KerasH5File::Open(File("missing_dataset.h5"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto w = f->ReadLayer("conv", {3, 3, 2, 4});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(w.status().message(), HasSubstr(File("missing_dataset.h5")));
  EXPECT_THAT(w.status().message(), HasSubstr("dataset /conv/conv/kernel:0"));
}

TEST_F(KerasH5Test, IntegerWeightsAreRefused) {
  auto f = KerasH5File::Open(File("int_kernel.h5"));
  ASSERT_TRUE(f.ok());
  auto w = f->ReadLayer("conv", {3, 3, 2, 4});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr("/conv/conv/kernel:0 does not hold floating-point"));
}

TEST_F(KerasH5Test, HdfWithoutLayerNamesIsNotKeras) {
  auto f = KerasH5File::Open(File("not_keras.h5"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr(File("not_keras.h5")));
  EXPECT_THAT(f.status().message(), HasSubstr("not a Keras weights file"));
}

TEST_F(KerasH5Test, NotHdf5AndMissingFileAreClearErrors) {
  auto f = KerasH5File::Open(File("not_hdf5.h5"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr(File("not_hdf5.h5") + ": not an HDF5 file"));
  auto g = KerasH5File::Open(File("no_such.h5"));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(g.status().message(), HasSubstr(File("no_such.h5")));
}

TEST_F(KerasH5Test, MovedFileStaysReadable) {
  auto f = KerasH5File::Open(File("weights.h5"));
  ASSERT_TRUE(f.ok());
  KerasH5File moved = std::move(*f);
  EXPECT_TRUE(moved.ReadLayer("conv", {3, 3, 2, 4}).ok());
}

}  // namespace
}  // namespace verger
