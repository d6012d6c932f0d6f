#include "io/s3_xml.h"

#include <gtest/gtest.h>

namespace verger::s3xml {
namespace {

TEST(S3Xml, FindsElementsAndDecodesEntities) {
  std::string doc =
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<KeyCount>2</KeyCount><Contents><Key>a%20b+c</Key><ETag>&quot;abc&quot;</ETag><Size>3</Size></Contents>"
      "<Contents><Key>x&amp;y</Key><Size>0</Size></Contents><IsTruncated>false</IsTruncated>"
      "<Prefix/></ListBucketResult>";
  auto contents = Elements(doc, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(Text(contents[0], "Key"), "a%20b+c");
  EXPECT_EQ(Text(contents[0], "ETag"), "\"abc\"");
  EXPECT_EQ(Text(contents[1], "Key"), "x&y");
  EXPECT_EQ(Text(doc, "KeyCount"), "2") << "<Key> must not match <KeyCount>";
  EXPECT_EQ(Text(doc, "IsTruncated"), "false");
  EXPECT_EQ(Elements(doc, "Prefix").size(), 1u);
  EXPECT_EQ(Text(doc, "Missing"), "");
}

TEST(S3Xml, UnescapesNumericReferencesToUtf8) {
  EXPECT_EQ(Unescape("&#65;&#x1234;&lt;&gt;&apos;"), "A\xE1\x88\xB4<>'");
  EXPECT_EQ(Unescape("a & b &bogus; &#xZZ;"), "a & b &bogus; &#xZZ;");
  EXPECT_EQ(Escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
}

}  // namespace
}  // namespace verger::s3xml
