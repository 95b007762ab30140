#include "engine/io/community_csv.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/io/csv.h"
#include "engine/io/generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using Files = std::map<std::string, std::string>;

// A small valid community, one file per entry. Line numbers in the tests
// below refer to these texts (the header is line 1).
Files SmallCommunity() {
  return {
      {"community.csv",
       "community_id,name,utc_offset_minutes\n"
       "riverside,\"Riverside, East\",+480\n"},
      {"compounds.csv",
       "compound_id,name,kind\n"
       "c01,\"Plum \"\"Blossom\"\" Garden\",residential\n"
       "c02,Tech Park,office\n"
       "c03,No. 2 Primary,school\n"},
      {"buildings.csv",
       "building_id,compound_id,name,x_m,y_m\n"
       "c01-b01,c01,1,10.5,20\n"
       "c01-b02,c01,2,-3,4e1\n"
       "c02-b01,c02,Tower A,300,300\n"},
      {"units.csv",
       "unit_id,building_id,name\n"
       "c01-b01-u1,c01-b01,1\n"
       "c01-b01-u2,c01-b01,2\n"
       "c01-b02-u1,c01-b02,1\n"},
      {"households.csv",
       "household_id,unit_id\n"
       "h1,c01-b01-u1\n"
       "h2,c01-b01-u2\n"
       "h3,c01-b02-u1\n"},
      {"residents.csv",
       "code,household_id,flags\n"
       "SWAAAA0001,h1,\n"
       "SWAAAA0002,h1,mobility_limited\n"
       "SWAAAA0003,h2,exempt:infant\n"
       "SWAAAA0004,h2,mobility_limited|exempt:medical\n"
       "SWAAAA0005,h3, exempt:away \n"
       "SWAAAA0006,h3,exempt:other\n"},
      {"sites.csv",
       "site_id,name,x_m,y_m,desks,opens,closes\n"
       "s01,North gate,0,0,4,07:00,22:00\n"
       "s02,\"Night, clinic\",50.25,60,2,20:00,25:30\n"},
      {"staff.csv",
       "staff_id,roles,home_site_id\n"
       "st01,scanner|marshal,s01\n"
       "md01,sampler,\n"
       "st02, sampler | scanner ,s02\n"},
  };
}

class CommunityCsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) / "community_csv_test" / absl::StrCat(info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }

  // Writes `files` into `dir` (relative to this test's root).
  fs::path Write(const Files& files, const std::string& dir = "c") {
    const fs::path path = root_ / dir;
    fs::create_directories(path);
    for (const auto& [name, text] : files) {
      EXPECT_TRUE(WriteFileAtomically(path / name, text).ok());
    }
    return path;
  }

  // Reads SmallCommunity() with `file` replaced by `text` and returns the
  // error; fails the test if it imports.
  absl::Status ReadWith(const std::string& file, const std::string& text) {
    Files files = SmallCommunity();
    files[file] = text;
    absl::StatusOr<Community> community = ReadCommunityDir(Write(files));
    EXPECT_FALSE(community.ok()) << file << ":\n" << text;
    return community.status();
  }

  // Same, with `extra` appended to `file` (a bad row after the good ones).
  absl::Status ReadWithRow(const std::string& file, const std::string& extra) {
    return ReadWith(file, SmallCommunity()[file] + extra);
  }

  fs::path root_;
};

void ExpectEqual(const Community& a, const Community& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.utc_offset_minutes, b.utc_offset_minutes);
  ASSERT_EQ(a.compounds.size(), b.compounds.size());
  for (size_t i = 0; i < a.compounds.size(); ++i) {
    EXPECT_EQ(a.compounds[i].id, b.compounds[i].id);
    EXPECT_EQ(a.compounds[i].name, b.compounds[i].name);
    EXPECT_EQ(a.compounds[i].kind, b.compounds[i].kind);
  }
  ASSERT_EQ(a.buildings.size(), b.buildings.size());
  for (size_t i = 0; i < a.buildings.size(); ++i) {
    EXPECT_EQ(a.buildings[i].id, b.buildings[i].id);
    EXPECT_EQ(a.buildings[i].compound, b.buildings[i].compound);
    EXPECT_EQ(a.buildings[i].name, b.buildings[i].name);
    EXPECT_EQ(a.buildings[i].location.x_m, b.buildings[i].location.x_m);
    EXPECT_EQ(a.buildings[i].location.y_m, b.buildings[i].location.y_m);
  }
  ASSERT_EQ(a.units.size(), b.units.size());
  for (size_t i = 0; i < a.units.size(); ++i) {
    EXPECT_EQ(a.units[i].id, b.units[i].id);
    EXPECT_EQ(a.units[i].building, b.units[i].building);
    EXPECT_EQ(a.units[i].name, b.units[i].name);
  }
  ASSERT_EQ(a.households.size(), b.households.size());
  for (size_t i = 0; i < a.households.size(); ++i) {
    EXPECT_EQ(a.households[i].id, b.households[i].id);
    EXPECT_EQ(a.households[i].unit, b.households[i].unit);
  }
  ASSERT_EQ(a.residents.size(), b.residents.size());
  ASSERT_EQ(a.resident_codes.size(), b.resident_codes.size());
  for (ResidentId r = 0; r < a.residents.size(); ++r) {
    ASSERT_EQ(a.resident_code(r), b.resident_code(r)) << "resident " << r;
    ASSERT_EQ(a.residents[r].household, b.residents[r].household);
    ASSERT_EQ(a.residents[r].mobility_limited, b.residents[r].mobility_limited);
    ASSERT_EQ(a.residents[r].exemption, b.residents[r].exemption);
  }
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (size_t i = 0; i < a.sites.size(); ++i) {
    EXPECT_EQ(a.sites[i].id, b.sites[i].id);
    EXPECT_EQ(a.sites[i].name, b.sites[i].name);
    EXPECT_EQ(a.sites[i].location.x_m, b.sites[i].location.x_m);
    EXPECT_EQ(a.sites[i].location.y_m, b.sites[i].location.y_m);
    EXPECT_EQ(a.sites[i].desks, b.sites[i].desks);
    EXPECT_EQ(a.sites[i].opens_at_minute, b.sites[i].opens_at_minute);
    EXPECT_EQ(a.sites[i].closes_at_minute, b.sites[i].closes_at_minute);
  }
  ASSERT_EQ(a.staff.size(), b.staff.size());
  for (size_t i = 0; i < a.staff.size(); ++i) {
    EXPECT_EQ(a.staff[i].id, b.staff[i].id);
    EXPECT_EQ(a.staff[i].roles, b.staff[i].roles);
    EXPECT_EQ(a.staff[i].home_site, b.staff[i].home_site);
  }
}

Files ReadFiles(const fs::path& dir) {
  Files files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    absl::StatusOr<std::string> text = ReadFileToString(entry.path());
    EXPECT_TRUE(text.ok()) << text.status();
    files[entry.path().filename().string()] = text.value_or("");
  }
  return files;
}

TEST_F(CommunityCsvTest, ReadsAValidDirectory) {
  absl::StatusOr<Community> c = ReadCommunityDir(Write(SmallCommunity()));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, "riverside");
  EXPECT_EQ(c->name, "Riverside, East");
  EXPECT_EQ(c->utc_offset_minutes, 480);

  ASSERT_EQ(c->compounds.size(), 3u);
  EXPECT_EQ(c->compounds[0].name, "Plum \"Blossom\" Garden");
  EXPECT_EQ(c->compounds[1].kind, CompoundKind::kOffice);
  EXPECT_EQ(c->compounds[2].kind, CompoundKind::kSchool);

  ASSERT_EQ(c->buildings.size(), 3u);
  EXPECT_EQ(c->buildings[1].location.x_m, -3);
  EXPECT_EQ(c->buildings[1].location.y_m, 40);
  EXPECT_EQ(c->buildings[2].compound, 1u);
  EXPECT_EQ(c->buildings[2].name, "Tower A");

  ASSERT_EQ(c->units.size(), 3u);
  EXPECT_EQ(c->units[2].building, 1u);
  ASSERT_EQ(c->households.size(), 3u);
  EXPECT_EQ(c->households[1].unit, 1u);

  ASSERT_EQ(c->residents.size(), 6u);
  EXPECT_EQ(c->resident_code(3), "SWAAAA0004");
  EXPECT_EQ(c->residents[0].household, 0u);
  EXPECT_FALSE(c->residents[0].mobility_limited);
  EXPECT_EQ(c->residents[0].exemption, ExemptionReason::kNone);
  EXPECT_TRUE(c->residents[1].mobility_limited);
  EXPECT_EQ(c->residents[2].exemption, ExemptionReason::kInfant);
  EXPECT_TRUE(c->residents[3].mobility_limited);
  EXPECT_EQ(c->residents[3].exemption, ExemptionReason::kMedical);
  EXPECT_EQ(c->residents[4].exemption, ExemptionReason::kAway);
  EXPECT_EQ(c->residents[5].exemption, ExemptionReason::kOther);
  EXPECT_EQ(c->building_of(5), 1u);

  ASSERT_EQ(c->sites.size(), 2u);
  EXPECT_EQ(c->sites[0].opens_at_minute, 7 * 60);
  EXPECT_EQ(c->sites[0].closes_at_minute, 22 * 60);
  EXPECT_EQ(c->sites[1].name, "Night, clinic");
  EXPECT_EQ(c->sites[1].location.x_m, 50.25);
  EXPECT_EQ(c->sites[1].opens_at_minute, 20 * 60);
  EXPECT_EQ(c->sites[1].closes_at_minute, 25 * 60 + 30);
  EXPECT_EQ(c->TotalDesks(), 6);

  ASSERT_EQ(c->staff.size(), 3u);
  EXPECT_EQ(c->staff[0].roles, kRoleScanner | kRoleMarshal);
  EXPECT_EQ(c->staff[0].home_site, 0u);
  EXPECT_EQ(c->staff[1].roles, kRoleSampler);
  EXPECT_EQ(c->staff[1].home_site, kNoId);
  EXPECT_EQ(c->staff[2].roles, kRoleSampler | kRoleScanner);
  EXPECT_EQ(c->staff[2].home_site, 1u);
}

// A re-import's changes name each resident's line (issue 18): the line
// its row starts on, a quoted line break or a blank line included.
TEST_F(CommunityCsvTest, RowsSayWhereEachResidentCameFrom) {
  Files files = SmallCommunity();
  files["residents.csv"] =
      "code,household_id,flags\n"
      "SWAAAA0001,h1,\n"
      "\n"
      "SWAAAA0002,\"h1\",\"mobility_limited\"\n"
      "SWAAAA0003,h2,exempt:infant\n";
  RosterRows rows;
  absl::StatusOr<Community> c = ReadCommunityDir(Write(files), &rows);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(rows.residents_table, "residents.csv");
  EXPECT_FALSE(rows.sheet_rows);
  EXPECT_THAT(rows.resident_lines, ::testing::ElementsAre(2, 4, 5));
  EXPECT_EQ(rows.Where(1), "residents.csv:4");
  RosterRows sheet{"book.xlsx sheet residents", true, {2, 3}};
  EXPECT_EQ(sheet.Where(1), "book.xlsx sheet residents, row 3");
}

TEST_F(CommunityCsvTest, AcceptsCrlfAndByteOrderMark) {
  Files files = SmallCommunity();
  for (auto& [name, text] : files) {
    text = "\xEF\xBB\xBF" + absl::StrReplaceAll(text, {{"\n", "\r\n"}});
  }
  absl::StatusOr<Community> c = ReadCommunityDir(Write(files));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->residents.size(), 6u);
  EXPECT_EQ(c->staff[2].home_site, 1u);
}

TEST_F(CommunityCsvTest, SmallCommunityRoundTrips) {
  absl::StatusOr<Community> first = ReadCommunityDir(Write(SmallCommunity()));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(WriteCommunityDir(*first, root_ / "copy").ok());
  absl::StatusOr<Community> second = ReadCommunityDir(root_ / "copy");
  ASSERT_TRUE(second.ok()) << second.status();
  ExpectEqual(*first, *second);
  // Canonical output: names with commas or quotes are quoted, times are
  // HH:MM, an empty home site stays empty.
  const Files written = ReadFiles(root_ / "copy");
  EXPECT_THAT(written.at("community.csv"), HasSubstr("\"Riverside, East\""));
  EXPECT_THAT(written.at("compounds.csv"), HasSubstr("\"Plum \"\"Blossom\"\" Garden\""));
  EXPECT_THAT(written.at("sites.csv"), HasSubstr("s02,\"Night, clinic\",50.25,60,2,20:00,25:30\n"));
  EXPECT_THAT(written.at("staff.csv"), HasSubstr("md01,sampler,\n"));
  EXPECT_THAT(written.at("residents.csv"),
              HasSubstr("SWAAAA0004,h2,mobility_limited|exempt:medical\n"));
}

TEST_F(CommunityCsvTest, GeneratedCommunityRoundTripsExactly) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const Community& original = generated->front();
  ASSERT_TRUE(WriteCommunityDir(original, root_ / "a" / "kangcheng").ok());
  absl::StatusOr<Community> read = ReadCommunityDir(root_ / "a" / "kangcheng");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectEqual(original, *read);
  // Writing what was read gives the same bytes.
  ASSERT_TRUE(WriteCommunityDir(*read, root_ / "b").ok());
  EXPECT_EQ(ReadFiles(root_ / "a" / "kangcheng"), ReadFiles(root_ / "b"));
}

TEST_F(CommunityCsvTest, WriteReplacesFilesAndLeavesOthers) {
  absl::StatusOr<Community> c = ReadCommunityDir(Write(SmallCommunity()));
  ASSERT_TRUE(c.ok()) << c.status();
  const fs::path dir = Write({{"notes.txt", "keep me"}, {"residents.csv", "garbage"}}, "out");
  ASSERT_TRUE(WriteCommunityDir(*c, dir).ok());
  EXPECT_EQ(*ReadFileToString(dir / "notes.txt"), "keep me");
  EXPECT_TRUE(ReadCommunityDir(dir).ok());
}

TEST_F(CommunityCsvTest, WriteFailsWhereADirectoryCannotBe) {
  absl::StatusOr<Community> c = ReadCommunityDir(Write(SmallCommunity()));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(WriteFileAtomically(root_ / "file", "x").ok());
  const absl::Status status = WriteCommunityDir(*c, root_ / "file" / "sub");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("file"));
}

struct BadRow {
  std::string file;
  std::string row;       // appended after the file's good rows
  std::string expected;  // a substring of the message
};

TEST_F(CommunityCsvTest, EachKindOfBadRowNamesFileLineAndColumn) {
  const std::vector<BadRow> cases = {
      {"compounds.csv", "c04,Palace,palace\n",
       "compounds.csv:5: column kind: 'palace' is not a kind"},
      {"compounds.csv", "c01,Again,residential\n",
       "compounds.csv:5: compound id 'c01' appears twice"},
      {"compounds.csv", "c 4,Bad id,residential\n",
       "compounds.csv:5: compound_id 'c 4' is not a valid id"},
      {"buildings.csv", "c01-b03,c01,3,abc,0\n",
       "buildings.csv:5: column x_m: 'abc' is not a number"},
      {"buildings.csv", "c01-b03,c01,3,0,inf\n",
       "buildings.csv:5: column y_m: 'inf' is not a number"},
      {"buildings.csv", "c09-b01,c09,1,0,0\n",
       "buildings.csv:5: building 'c09-b01': compound_id 'c09' is not a known "
       "compound"},
      {"buildings.csv", "c01-b01,c01,1,0,0\n",
       "buildings.csv:5: building id 'c01-b01' appears twice"},
      {"buildings.csv", "c01-b03,c01,3,0\n", "buildings.csv:5: column y_m is missing"},
      {"units.csv", "c01-b09-u1,c01-b09,1\n",
       "units.csv:5: unit 'c01-b09-u1': building_id 'c01-b09' is not a known "
       "building"},
      {"units.csv", "c01-b01-u1,c01-b01,1\n", "units.csv:5: unit id 'c01-b01-u1' appears twice"},
      {"households.csv", "h4,c01-b05-u1\n",
       "households.csv:5: household 'h4': unit_id 'c01-b05-u1' is not a known "
       "unit"},
      {"households.csv", "h1,c01-b01-u1\n", "households.csv:5: household id 'h1' appears twice"},
      {"residents.csv", "SWAAAA0007,h1,vip\n",
       "residents.csv:8: column flags: 'vip' is not a flag"},
      {"residents.csv", "SWAAAA0007,h1,exempt:away|exempt:infant\n",
       "residents.csv:8: column flags: 'exempt:away' and 'exempt:infant' both "
       "given"},
      {"residents.csv", "SWAAAA0007,h1,mobility_limited||\n",
       "residents.csv:8: column flags: '' is not a flag"},
      {"residents.csv", "SWAAAA0007,h9,\n",
       "residents.csv:8: resident 'resident #7': household_id 'h9' is not a "
       "known household"},
      {"residents.csv", "SWAAAA0003,h1,\n",
       "residents.csv:8: resident #7: its code is already used"},
      {"residents.csv", "SW1,h1,\n",
       "residents.csv:8: resident 'resident #7': code is not a valid code"},
      {"sites.csv", "s03,Three,0,0,four,07:00,22:00\n",
       "sites.csv:4: column desks: 'four' is not a whole number of desks"},
      {"sites.csv", "s03,Three,0,0,0,07:00,22:00\n",
       "sites.csv:4: site 's03': desks is 0; it must be 1..64"},
      {"sites.csv", "s03,Three,0,0,65,07:00,22:00\n", "sites.csv:4: site 's03': desks is 65"},
      {"sites.csv", "s03,Three,0,0,99999999999,07:00,22:00\n",
       "sites.csv:4: column desks: '99999999999' is out of range"},
      {"sites.csv", "s03,Three,0,0,4,7am,22:00\n",
       "sites.csv:4: column opens: '7am' is not a local time"},
      {"sites.csv", "s03,Three,0,0,4,24:00,25:00\n",
       "sites.csv:4: column opens: '24:00' must be before 24:00"},
      {"sites.csv", "s03,Three,0,0,4,07:00,06:00\n",
       "sites.csv:4: column closes: '06:00' must be after opens '07:00'"},
      {"sites.csv", "s03,Three,0,0,4,07:00,31:01\n",
       "sites.csv:4: column closes: '31:01' must be after opens"},
      {"sites.csv", "s03,Three,x,0,4,07:00,22:00\n",
       "sites.csv:4: column x_m: 'x' is not a number"},
      {"sites.csv", "s01,Again,0,0,4,07:00,22:00\n", "sites.csv:4: site id 's01' appears twice"},
      {"staff.csv", "st03,doctor,s01\n", "staff.csv:5: column roles: 'doctor' is not a role"},
      {"staff.csv", "st03,,s01\n",
       "staff.csv:5: column roles: a staff member needs at least one role"},
      {"staff.csv", "st03,scanner,s09\n",
       "staff.csv:5: staff member 'st03': home_site_id 's09' is not a known "
       "site"},
      {"staff.csv", "st01,scanner,s01\n", "staff.csv:5: staff member id 'st01' appears twice"},
      {"community.csv", "other,Other,480\n",
       "community.csv:3: a community directory holds one community"},
  };
  for (const BadRow& c : cases) {
    const absl::Status status = ReadWithRow(c.file, c.row);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.row;
    EXPECT_THAT(status.message(), HasSubstr(c.expected)) << c.row;
  }
}

TEST_F(CommunityCsvTest, CommunityRowErrors) {
  const std::string header = "community_id,name,utc_offset_minutes\n";
  EXPECT_THAT(ReadWith("community.csv", header).message(),
              HasSubstr("community.csv:2: no community row"));
  EXPECT_THAT(ReadWith("community.csv", header + "r,R,east\n").message(),
              HasSubstr("community.csv:2: column utc_offset_minutes: 'east' is "
                        "not a whole number of minutes"));
  EXPECT_THAT(ReadWith("community.csv", header + "r r,R,480\n").message(),
              HasSubstr("community.csv:2: community_id 'r r' is not a valid id"));
  // CommunityBuilder checks the offset; the message still points here.
  EXPECT_THAT(ReadWith("community.csv", header + "\n\nr,R,900\n").message(),
              HasSubstr("community.csv:4: community 'r': utc_offset_minutes "
                        "900 is outside -840..840"));
}

// community.csv may name an IANA zone in a fourth column; files from
// before zones have three columns and keep their fixed offset.
TEST_F(CommunityCsvTest, TheCommunityMayNameItsTimeZone) {
  const std::string header = "community_id,name,utc_offset_minutes,time_zone\n";
  Files files = SmallCommunity();
  files["community.csv"] = header + "r,R,480,Asia/Shanghai\n";
  absl::StatusOr<Community> named = ReadCommunityDir(Write(files));
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->time_zone, "Asia/Shanghai");
  // Written with its zone, read back the same.
  ASSERT_TRUE(WriteCommunityDir(*named, root_ / "copy").ok());
  EXPECT_THAT(ReadFiles(root_ / "copy").at("community.csv"),
              HasSubstr("time_zone\nr,R,480,Asia/Shanghai\n"));
  EXPECT_EQ(ReadCommunityDir(root_ / "copy")->time_zone, "Asia/Shanghai");

  files["community.csv"] = header + "r,R,480,\n";
  EXPECT_EQ(ReadCommunityDir(Write(files))->time_zone, "");

  files["community.csv"] = header + "r,R,480,Asia/Atlantis\n";
  EXPECT_THAT(ReadCommunityDir(Write(files)).status().message(),
              HasSubstr("community.csv:2: column time_zone: time zone 'Asia/Atlantis' is not "
                        "one tzdata knows"));
  files["community.csv"] = "community_id,name,utc_offset_minutes,zone\nr,R,480,Asia/Shanghai\n";
  EXPECT_THAT(ReadCommunityDir(Write(files)).status().message(),
              HasSubstr("community.csv:1: header column 4 must be 'time_zone'"));
  files["community.csv"] = header.substr(0, header.size() - 1) + ",more\nr,R,480,,x\n";
  EXPECT_THAT(ReadCommunityDir(Write(files)).status().message(),
              HasSubstr("header has 5 columns; expected at most "
                        "'community_id,name,utc_offset_minutes,time_zone'"));
}

TEST_F(CommunityCsvTest, LineNumbersArePhysicalLines) {
  // A quoted name over three lines pushes the bad row to line 7.
  const absl::Status status = ReadWith("compounds.csv",
                                       "compound_id,name,kind\n"
                                       "c01,\"Plum\nBlossom\nGarden\",residential\n"
                                       "c02,Tech Park,office\n"
                                       "\n"
                                       "c03,Bad,castle\n");
  EXPECT_THAT(status.message(), HasSubstr("compounds.csv:7: column kind: 'castle'"));
}

TEST_F(CommunityCsvTest, MalformedCsvNamesFileLineAndColumn) {
  EXPECT_THAT(ReadWithRow("units.csv", "c01-b02-u2,\"c01-b02,2\n").message(),
              HasSubstr("units.csv:5: column building_id: a quoted field is "
                        "never closed"));
  EXPECT_THAT(ReadWithRow("buildings.csv", "a,b,c,d,e,f\n").message(),
              HasSubstr("buildings.csv:5: the row has 6 fields but the header "
                        "has 5 columns"));
}

TEST_F(CommunityCsvTest, WrongOrMissingHeaderIsReported) {
  const Files good = SmallCommunity();
  absl::Status status = ReadWith(
      "buildings.csv", absl::StrReplaceAll(good.at("buildings.csv"), {{"x_m,y_m", "x,y"}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("buildings.csv:1: header column 4 must be 'x_m' "
                                          "(expected header "
                                          "'building_id,compound_id,name,x_m,y_m')"));

  status = ReadWith("staff.csv", "staff_id,roles\nst01,scanner\n");
  EXPECT_THAT(status.message(), HasSubstr("staff.csv:1: header has no column 'home_site_id'"));

  status = ReadWith("units.csv", "");
  EXPECT_THAT(status.message(), HasSubstr("units.csv:1: the file is empty"));

  // Residents without their header: the first row's code is not echoed.
  status = ReadWith("residents.csv", "SWAAAA0001,h1,\nSWAAAA0002,h1,\n");
  EXPECT_THAT(status.message(), HasSubstr("residents.csv:1: header column 1 must be 'code'"));
  EXPECT_THAT(status.message(), Not(HasSubstr("SWAAAA")));
}

TEST_F(CommunityCsvTest, ResidentCodesNeverAppearInErrors) {
  const std::vector<std::string> rows = {
      "SWSECRET99,h1,vip\n", "SWSECRET99,h9,\n", "SWSECRET99,h1,\nSWSECRET99,h1,\n",
      "SW SECRET,h1,\n",     "SWSECRET99,h1\n",  "\"SWSECRET99\"x,h1,\n",
      "SWSECRET99\",h1,\n",
  };
  for (const std::string& row : rows) {
    const absl::Status status = ReadWithRow("residents.csv", row);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << row;
    EXPECT_THAT(status.message(), HasSubstr("residents.csv:")) << row;
    EXPECT_THAT(status.message(), Not(HasSubstr("SECRET"))) << row;
  }
}

TEST_F(CommunityCsvTest, EmptyCommunitiesAreRejected) {
  EXPECT_THAT(ReadWith("residents.csv", "code,household_id,flags\n").message(),
              HasSubstr("residents.csv:2: no residents"));
  EXPECT_THAT(ReadWith("sites.csv", "site_id,name,x_m,y_m,desks,opens,closes\n").message(),
              HasSubstr("sites.csv:2: no sampling sites"));
}

TEST_F(CommunityCsvTest, MissingFileOrDirectoryIsNotFound) {
  Files files = SmallCommunity();
  files.erase("households.csv");
  const absl::StatusOr<Community> c = ReadCommunityDir(Write(files));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("households.csv: file not found"));

  const absl::StatusOr<Community> none = ReadCommunityDir(root_ / "nowhere");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("nowhere: not a directory"));
}

TEST_F(CommunityCsvTest, FindsCommunityDirectories) {
  // The root itself is a community directory.
  const fs::path single = Write(SmallCommunity(), "single");
  absl::StatusOr<std::vector<fs::path>> found = FindCommunityDirs(single);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, std::vector<fs::path>{single});

  // A city: immediate subdirectories holding community.csv, sorted.
  const fs::path city = root_ / "city";
  Write(SmallCommunity(), "city/d0002");
  Write(SmallCommunity(), "city/d0001");
  Write({{"readme.txt", "not a community"}}, "city/docs");
  Write(SmallCommunity(), "city/docs/deeper");  // not immediate: ignored
  ASSERT_TRUE(WriteFileAtomically(city / "community.txt", "x").ok());
  found = FindCommunityDirs(city);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, (std::vector<fs::path>{city / "d0001", city / "d0002"}));

  Write({{"readme.txt", "not a community"}}, "plain/sub");
  found = FindCommunityDirs(root_ / "plain");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(found.status().message(), HasSubstr("no community.csv"));

  found = FindCommunityDirs(root_ / "nowhere");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace swabwave::engine
