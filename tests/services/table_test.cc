// CLI tables keep their columns aligned whatever the labels
// (services/swabwave/table.h).
#include "services/swabwave/table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace swabwave::services::cli {
namespace {

std::string Printed(const Table& table) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  table.Print(out, "  ");
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(DisplayWidthTest, WideCharactersTakeTwoColumnsAndCombiningMarksNone) {
  EXPECT_EQ(DisplayWidth("Site 1"), 6u);
  EXPECT_EQ(DisplayWidth("\xe5\xba\xb7\xe5\x9f\x8e"), 4u);  // 康城: two wide characters
  EXPECT_EQ(DisplayWidth("e\xcc\x81"), 1u);                  // e and a combining acute
  EXPECT_EQ(DisplayWidth("\xff" "a"), 2u);  // a stray byte counts as one column
}

TEST(TableTest, ColumnsFitTheLongestCellAndNumbersAlignRight) {
  Table table({{"key"}, {"label"}, {"due", Table::kRight}});
  table.AddRow({"sites/s01", "Site 1", "1788"});
  table.AddRow({"sites/s02", "Site 2, by Chunhui Estate", "3083"});
  table.AddRow({"sites/s03", "\xe5\xba\xb7\xe5\x9f\x8e", "12"});
  EXPECT_EQ(Printed(table),
            "  key        label                       due\n"
            "  sites/s01  Site 1                     1788\n"
            "  sites/s02  Site 2, by Chunhui Estate  3083\n"
            "  sites/s03  \xe5\xba\xb7\xe5\x9f\x8e                         12\n");
}

}  // namespace
}  // namespace swabwave::services::cli
