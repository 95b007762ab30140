// DoorTeams: plays the door-to-door teams of an open round against a
// running swabwaved, the way they work on the day — each team walks its
// route (ListDoorToDoorRoutes: on a second call, the not-home again),
// samples at the door through its own desk's CheckInStream (a team racks
// tubes like a site's desk) and records every other outcome with
// RecordVisit: not home, refused, moved away, in hospital.
//
// What each door finds is drawn from a seed, the resident's code and the
// call (the first, second, ... time a team is sent), so a run is
// reproducible and a second call finds some not home again. A team may
// also meet a neighbour on its way — an untested resident of a building on
// its route who is due at a site — and sample them there (off route).
//
// Thread-safety: RunTeams is called from one thread; it runs one thread per
// team for the visits, and the check-ins on TabletFleet's streams.
#ifndef SWABWAVE_SERVICES_REPLAY_DOOR_TEAMS_H_
#define SWABWAVE_SERVICES_REPLAY_DOOR_TEAMS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/replay/tablet_fleet.h"
#include "services/swabwave/client.h"
#include "swabwave/v1/checkin.pb.h"

namespace swabwave::services {

struct TeamDayOptions {
  uint64_t seed = 1;
  // Which time the teams are sent (1: the first): the draw differs, so a
  // resident not home on the first call may be home on the second.
  int call = 1;
  // Shares of the residents on the routes; the rest are sampled.
  double not_home = 0.15;
  double refused = 0.02;
  double in_hospital = 0.02;
  double moved_away = 0.02;
  // Share of route buildings where the team meets a neighbour due at a
  // site and samples them at the door.
  double neighbours = 0.05;
};

// A visit that does not sample.
struct DoorVisit {
  std::string code;
  v1::VisitOutcome outcome = v1::VISIT_OUTCOME_UNSPECIFIED;
  std::string reason;  // empty for not home
};

// What one team does on a call.
struct TeamWork {
  std::string desk;       // "communities/{c}/teams/{n}", also its token's key
  DeskWork samples;       // residents sampled at the door, in route order
  std::vector<DoorVisit> visits;
  int64_t off_route = 0;  // of samples, neighbours met on the way
};

// The teams' work on this call: every route of the round that has a team
// desk, from the server (command token). Residents on a route whose code
// the untested list no longer has (sampled meanwhile) are left out.
[[nodiscard]] absl::StatusOr<std::vector<TeamWork>> TeamWorkFromServer(
    Client& client, const std::string& round, const TeamDayOptions& options);

struct TeamReport {
  FleetReport check_ins;  // through the teams' CheckInStreams
  int64_t visits = 0;     // RecordVisit answered OK
  int64_t visits_replayed = 0;
  int64_t visit_errors = 0;
  std::string first_visit_error;
  std::array<int64_t, 5> by_outcome{};  // v1::VisitOutcome of the visits answered OK
  int64_t off_route = 0;
  absl::Duration visits_elapsed;
};

// Samples at the doors (TabletFleet, one stream per team) and then records
// the other visits, one thread per team.
[[nodiscard]] absl::StatusOr<TeamReport> RunTeams(Client& client,
                                                  const std::vector<TeamWork>& work,
                                                  const FleetOptions& options);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_DOOR_TEAMS_H_
