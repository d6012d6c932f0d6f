#include "engine/output_layout.h"

#include <gtest/gtest.h>

namespace verger {
namespace {

TEST(IsVergerNamed, KnowsEveryOutputVergerWritesAndNothingElse) {
  for (const char* key :
       {"manifest.json", "errors.csv", "_state/features-manifest.json", "_partitions/part-00042.json",
        "features/_pca_stats/part-00000.pcastats", "features/label=Apple Braeburn 1/part-00001.parquet",
        "features/label=a%2Fb/part-00001.csv", "features/label=x/part-00003.npy", "features/label=x/part-00003.keys.csv",
        "reduced/label=x/part-123456.csv", "pca/model.json", "pca/components.npy", "pca/explained_variance_ratio.npy",
        "pca/scatter_pc1_pc2.svg", "features/label=x/part-00003.csv.tmp-123-4", "manifest.json.tmp-1-0"})
    EXPECT_TRUE(IsVergerNamed(key)) << key;
  for (const char* key :
       {"notes.txt", "features/my-analysis.csv", "features/label=x/keep.me", "features/label=x/part-1.csv",
        "features/label=x/part-00001.txt", "features/label=x/sub/part-00001.csv", "pca/mine.npy", "_partitions/x.json",
        "errors.csv.bak", "notes.txt.tmp-1-2", "_state/lease.json", "reduced/part-00001.csv"})
    EXPECT_FALSE(IsVergerNamed(key)) << key;
}

}  // namespace
}  // namespace verger
