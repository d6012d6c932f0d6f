// Labels come from folder names (or S3 prefixes) we do not control: none may
// make verger write outside --output or fail on a too-long file name.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "engine/partition.h"
#include "io/object_store.h"

namespace verger {
namespace {

namespace fs = std::filesystem;

bool StaysInside(const std::string& key) {
  if (!ValidateKey(key).ok()) return false;
  fs::path root = "/out";
  fs::path p = (root / key).lexically_normal();
  auto [r, _] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

TEST(OutputPaths, HostileLabelsStayUnderTheOutput) {
  const std::string hostile[] = {"..", ".", "../../etc", "/etc/passwd", "a/../../b", std::string("nul\0byte", 8),
                                 "back\\slash", "~", "", "label=x/part-00000"};
  for (const auto& label : hostile) {
    const std::string key = TableBaseKey("features", label, 7);
    EXPECT_TRUE(StaysInside(key)) << key;
    EXPECT_EQ(key.rfind("features/label=", 0), 0u) << key;
    EXPECT_EQ(std::count(key.begin(), key.end(), '/'), 2) << key;
    EXPECT_EQ(key.find('\0'), std::string::npos);
  }
}

TEST(OutputPaths, LongLabelsAreShortenedDeterministically) {
  const std::string long_ascii(300, 'a');
  const std::string long_escaped(200, '#');  // "%23" each: 600 bytes escaped
  std::string long_utf8;
  for (int i = 0; i < 150; ++i) long_utf8 += "\xC3\xA9";  // 300 bytes of 'é'
  for (const auto& label : {long_ascii, long_escaped, long_utf8}) {
    const std::string folder = LabelFolderName(label);
    EXPECT_LE(folder.size(), kMaxPathComponent) << folder;
    EXPECT_EQ(folder, LabelFolderName(label));  // deterministic
    EXPECT_TRUE(StaysInside(TableBaseKey("features", label, 1)));
    // Never cuts a %XX escape or a UTF-8 sequence before the hash tag.
    const std::string head = folder.substr(0, folder.rfind('~'));
    EXPECT_NE(head.back(), '%');
    EXPECT_NE(head[head.size() - 2], '%');
    EXPECT_NE(static_cast<unsigned char>(head.back()), 0xC3) << "split UTF-8 sequence";
  }
  // Labels sharing a long prefix stay apart.
  EXPECT_NE(LabelFolderName(long_ascii + "x"), LabelFolderName(long_ascii + "y"));
  // Short labels are not touched.
  EXPECT_EQ(LabelFolderName("Banana 1"), "label=Banana 1");
  EXPECT_EQ(LabelFolderName(std::string(249, 'b')).size(), 255u);
  EXPECT_EQ(LabelFolderName(std::string(249, 'b')), "label=" + std::string(249, 'b'));
}

}  // namespace
}  // namespace verger
