#include "services/replay/lab_day.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/api/status.h"
#include "services/replay/round_reader.h"
#include "services/replay/seeded_draw.h"
#include "swabwave/v1/lab.pb.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {
namespace {

constexpr int kResultsPerCall = 1000;  // LabService's limit

// Where tubes are filled and packed: a site (its first desk packs for all
// of them) or a team's desk. `token_key` finds its token in the client.
struct Place {
  std::string desk;
  std::string token_key;
  std::string community_id;  // a team's; empty for a site
};

// One resident on a recall or resample list.
struct CalledBack {
  std::string code;
  std::string community_id;
  v1::LabState state = v1::LAB_STATE_UNSPECIFIED;
  std::string follow_up_tube;
  v1::FollowUpReason reason = v1::FOLLOW_UP_REASON_UNSPECIFIED;
};

struct CallBackLists {
  std::vector<CalledBack> members;
  std::map<std::string, int> recall_tubes;    // barcode -> members listed
  std::set<std::string> resample_tubes;
};

class LabDay {
 public:
  LabDay(Client& client, const LabDayOptions& options) : client_(client), options_(options) {}

  absl::StatusOr<LabDayReport> Run() {
    if (absl::Status s = ReadPlaces(); !s.ok()) return s;
    // The pooled tubes, then the follow-up swabs of those called back,
    // then theirs: two trips to the lab.
    const std::function<void()> steps[] = {
        [&] { PackEverything(/*hold=*/options_.hold_boxes); },
        [&] { ShipAndReceive(options_.missing_tubes); },
        [&] { ReportResults(); },
        [&] { TakeFollowUps(); },
        [&] { PackEverything(/*hold=*/0); },
        [&] { ShipAndReceive(/*missing=*/0); },
        [&] { ReportResults(); },
        [&] { Verify(); },
    };
    for (const std::function<void()>& step : steps) {
      if (report_.stopped) break;
      step();
    }
    return report_;
  }

 private:
  void Acknowledged(const google::protobuf::Message& request) {
    if (options_.acknowledged && !options_.acknowledged(request)) report_.stopped = true;
  }
  void Error(const std::string& what, const std::string& message) {
    ++report_.errors;
    if (report_.first_error.empty()) report_.first_error = absl::StrCat(what, ": ", message);
  }
  // Calls with the token `key` names in the client (a site's or team's).
  template <class Call>
  grpc::Status AtPlace(const std::string& key, Call call) {
    return Client::Call([&](grpc::ClientContext& context) {
      client_.AuthorizeAtSite(context, key);
      return call(context);
    });
  }
  // Calls with `token` (the courier's or the lab's), or the client's own.
  template <class Call>
  grpc::Status As(const std::string& token, Call call) {
    return Client::Call([&](grpc::ClientContext& context) {
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      return call(context);
    });
  }

  absl::Status ReadPlaces() {
    absl::StatusOr<std::map<std::string, int>> sites = DesksOfSites(client_, options_.round);
    if (!sites.ok()) return sites.status();
    for (const auto& [site, desks] : *sites) {
      places_.push_back({absl::StrCat("sites/", site, "/desks/1"), site, ""});
    }
    v1::GetRoundRequest request;
    request.set_round(options_.round);
    v1::GetRoundResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client_.planning().GetRound(&context, request, &response);
    });
    if (!status.ok()) return FromGrpcStatus(status);
    for (const std::string& community : response.round().community_ids()) {
      for (int n = 1; n <= response.round().door_to_door_teams(); ++n) {
        const std::string desk = absl::StrCat("communities/", community, "/teams/", n);
        places_.push_back({desk, desk, community});
      }
    }
    if (places_.empty()) return absl::FailedPreconditionError("the round has no sites or teams");
    return absl::OkStatus();
  }

  // Every place packs what its table holds, `box_tubes` to a box; the
  // last `hold` boxes packed stay on their tables.
  void PackEverything(int hold) {
    std::vector<std::string> packed;
    for (const Place& place : places_) {
      if (report_.stopped) return;
      std::vector<v1::TubeToPack> table;
      v1::ListTubesToPackRequest request;
      request.set_round(options_.round);
      request.set_desk(place.desk);
      do {
        v1::ListTubesToPackResponse page;
        const grpc::Status status = AtPlace(place.token_key, [&](grpc::ClientContext& context) {
          return client_.custody().ListTubesToPack(&context, request, &page);
        });
        if (!status.ok()) return Error("ListTubesToPack", status.error_message());
        table.insert(table.end(), page.tubes().begin(), page.tubes().end());
        request.set_page_token(page.next_page_token());
      } while (!request.page_token().empty());
      for (size_t first = 0; first < table.size() && !report_.stopped;
           first += options_.box_tubes) {
        v1::PackBoxRequest pack;
        pack.set_round(options_.round);
        pack.set_desk(place.desk);
        // Named by its first tube: the same box again on a rerun.
        pack.set_box_barcode("BOX-" + table[first].barcode());
        const size_t end = std::min(table.size(), first + options_.box_tubes);
        for (size_t t = first; t < end; ++t) {
          pack.add_tube_barcodes(table[t].barcode());
          swabs_of_[table[t].barcode()] = table[t].swabs();
        }
        v1::PackBoxResponse box;
        const grpc::Status status = AtPlace(place.token_key, [&](grpc::ClientContext& context) {
          return client_.custody().PackBox(&context, pack, &box);
        });
        if (!status.ok()) {
          Error("PackBox", status.error_message());
          continue;
        }
        Acknowledged(pack);
        ++report_.boxes_packed;
        report_.tubes_packed += pack.tube_barcodes_size();
        packed.push_back(pack.box_barcode());
      }
    }
    for (int h = 0; h < hold && !packed.empty(); ++h) {
      held_.insert(packed.back());
      packed.pop_back();
      ++report_.boxes_held;
    }
  }

  std::vector<v1::Box> ListBoxes() {
    std::vector<v1::Box> boxes;
    v1::ListBoxesRequest request;
    request.set_round(options_.round);
    request.set_with_tubes(true);
    request.set_page_size(200);
    do {
      v1::ListBoxesResponse page;
      const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
        return client_.custody().ListBoxes(&context, request, &page);
      });
      if (!status.ok()) {
        Error("ListBoxes", status.error_message());
        return boxes;
      }
      boxes.insert(boxes.end(), page.boxes().begin(), page.boxes().end());
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return boxes;
  }

  // The courier takes every packed box not held this run (a box held by
  // an earlier call goes now, late); the lab receives every box picked
  // up, the first `missing` tubes of the first one not found.
  void ShipAndReceive(int missing) {
    LearnFollowUpTubes();
    for (v1::Box& box : ListBoxes()) {
      if (report_.stopped) return;
      if (box.state() == v1::BOX_STATE_PACKED && !held_.contains(box.barcode())) {
        v1::PickUpBoxRequest request;
        request.set_round(options_.round);
        request.set_box_barcode(box.barcode());
        v1::PickUpBoxResponse response;
        const grpc::Status status = As(options_.courier_token, [&](grpc::ClientContext& context) {
          return client_.custody().PickUpBox(&context, request, &response);
        });
        if (!status.ok()) {
          Error("PickUpBox", status.error_message());
          continue;
        }
        Acknowledged(request);
        ++report_.boxes_picked_up;
        box.set_state(v1::BOX_STATE_PICKED_UP);
      }
      if (box.state() != v1::BOX_STATE_PICKED_UP || report_.stopped) continue;
      v1::ReceiveBoxRequest request;
      request.set_round(options_.round);
      request.set_box_barcode(box.barcode());
      request.set_lab_id(options_.lab_id);
      // Only a box of pooled tubes loses one: a follow-up swab is the
      // resident's only one (a lost one is left to the lab and the command
      // center, as an invalid one is).
      const bool pooled = box.tube_barcodes_size() > 0 &&
                          !follow_up_tubes_.contains(box.tube_barcodes(0));
      const int lost = pooled ? std::min(missing, box.tube_barcodes_size() - 1) : 0;
      for (int t = 0; t < box.tube_barcodes_size(); ++t) {
        if (t >= lost) request.add_tube_barcodes(box.tube_barcodes(t));
      }
      missing -= lost;
      v1::ReceiveBoxResponse response;
      const grpc::Status status = As(options_.lab_token, [&](grpc::ClientContext& context) {
        return client_.custody().ReceiveBox(&context, request, &response);
      });
      if (!status.ok()) {
        Error("ReceiveBox", status.error_message());
        continue;
      }
      Acknowledged(request);
      ++report_.boxes_received;
      report_.tubes_missing += response.box().missing_tubes_size();
    }
  }

  // What the lab finds in a tube, fixed by the seed and the barcode.
  v1::ResultReport Result(const std::string& barcode) const {
    v1::ResultReport report;
    report.set_request_id("res-" + barcode);
    report.set_tube_barcode(barcode);
    report.set_run_id("RUN-" + options_.lab_id);
    const double u = SeededDraw(options_.seed, 0, barcode, "result");
    v1::TubeResult result = v1::TUBE_RESULT_NEGATIVE;
    if (const auto retest = follow_up_tubes_.find(barcode); retest != follow_up_tubes_.end()) {
      // Only the recalled (a positive pool) may turn out a case.
      if (retest->second == v1::FOLLOW_UP_REASON_RECALL && u < options_.retest_positive) {
        result = v1::TUBE_RESULT_POSITIVE;
      }
    } else if (u < options_.positive) {
      result = v1::TUBE_RESULT_POSITIVE;
    } else if (u < options_.positive + options_.invalid) {
      result = v1::TUBE_RESULT_INVALID;
    }
    report.set_result(result);
    if (result == v1::TUBE_RESULT_POSITIVE) {
      report.set_ct(20 + 15 * SeededDraw(options_.seed, 0, barcode, "ct"));
    }
    return report;
  }

  // A result for every tube the lab holds in time (its boxes received
  // before the age limit, the tubes it found), in batches.
  void ReportResults() {
    LearnFollowUpTubes();
    std::vector<v1::ResultReport> reports;
    for (const v1::Box& box : ListBoxes()) {
      if (box.state() != v1::BOX_STATE_RECEIVED || box.lab_id() != options_.lab_id ||
          box.age() == v1::BOX_AGE_BREACH) {
        continue;
      }
      const std::set<std::string> lost(box.missing_tubes().begin(), box.missing_tubes().end());
      for (const std::string& tube : box.tube_barcodes()) {
        // Once per tube a run: a rerun sends again what an earlier one did.
        if (!lost.contains(tube) && reported_.insert(tube).second) reports.push_back(Result(tube));
      }
    }
    // `in_flight` batches at a time, as a lab's instruments would send.
    const size_t batches = (reports.size() + kResultsPerCall - 1) / kResultsPerCall;
    std::atomic<size_t> next_batch{0};
    std::mutex mu;  // over report_ and the sets, while the batches fly
    const auto send = [&] {
      // One request and one response per instrument, cleared and refilled
      // call after call: they keep their strings' storage, as a tablet's
      // stream keeps its messages'.
      v1::ReportResultsRequest request;
      request.set_round(options_.round);
      request.set_lab_id(options_.lab_id);
      v1::ReportResultsResponse response;
      for (size_t b = next_batch++; b < batches; b = next_batch++) {
        {
          std::lock_guard lock(mu);
          if (report_.stopped) return;
        }
        request.mutable_results()->Clear();
        const size_t end = std::min(reports.size(), (b + 1) * kResultsPerCall);
        // Moved, not copied: each report is sent once (Tally reads it back
        // from the request).
        for (size_t r = b * kResultsPerCall; r < end; ++r) request.add_results()->Swap(&reports[r]);
        response.Clear();
        const grpc::Status status = As(options_.lab_token, [&](grpc::ClientContext& context) {
          return client_.lab().ReportResults(&context, request, &response);
        });
        std::lock_guard lock(mu);
        if (!status.ok()) {
          Error("ReportResults", status.error_message());
          continue;
        }
        report_.results_sent += request.results_size();
        for (int r = 0; r < response.outcomes_size(); ++r) {
          Tally(request.results(r), response.outcomes(r));
        }
      }
    };
    const absl::Time start = absl::Now();
    std::vector<std::thread> labs;
    for (int i = 1; i < std::max(1, options_.in_flight); ++i) labs.emplace_back(send);
    send();
    for (std::thread& lab : labs) lab.join();
    report_.results_elapsed += absl::Now() - start;
  }

  // One result's outcome, counted.
  void Tally(const v1::ResultReport& sent, const v1::ResultOutcome& outcome) {
    if (outcome.has_status()) return Error("ReportResults", outcome.status().message());
    Acknowledged(sent);
    if (outcome.replayed()) {
      ++report_.results_replayed;
      return;
    }
    ++report_.results_recorded;
    if (sent.result() == v1::TUBE_RESULT_INVALID) ++report_.invalid;
    if (sent.result() != v1::TUBE_RESULT_POSITIVE) return;
    ++report_.positive;
    if (!follow_up_tubes_.contains(sent.tube_barcode())) {
      positive_pools_.insert(sent.tube_barcode());
    }
  }

  // Which tubes hold follow-up swabs, and why they were taken.
  void LearnFollowUpTubes() {
    for (const CalledBack& member : ReadCallBacks().members) {
      if (!member.follow_up_tube.empty()) follow_up_tubes_[member.follow_up_tube] = member.reason;
    }
  }

  CallBackLists ReadCallBacks() {
    CallBackLists lists;
    for (v1::FollowUpReason reason : {v1::FOLLOW_UP_REASON_RECALL, v1::FOLLOW_UP_REASON_RESAMPLE}) {
      v1::ListRecallsRequest request;
      request.set_round(options_.round);
      request.set_reason(reason);
      request.set_page_size(1000);
      do {
        v1::ListRecallsResponse page;
        const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
          return client_.lab().ListRecalls(&context, request, &page);
        });
        if (!status.ok()) {
          Error("ListRecalls", status.error_message());
          return lists;
        }
        for (const v1::RecallTube& tube : page.tubes()) {
          if (reason == v1::FOLLOW_UP_REASON_RECALL) {
            lists.recall_tubes[tube.tube_barcode()] = tube.members_size();
          } else {
            lists.resample_tubes.insert(tube.tube_barcode());
          }
          for (const v1::RecalledResident& member : tube.members()) {
            lists.members.push_back({member.resident_code(), member.community_id(),
                                     member.state(), member.follow_up_tube(), reason});
          }
        }
        request.set_page_token(page.next_page_token());
      } while (!request.page_token().empty());
    }
    return lists;
  }

  // Where a called-back resident gives their swab: a team of their
  // community, in turn; a site's desk where the round sends no teams.
  const Place& FollowUpPlace(const std::string& community_id) {
    std::vector<const Place*> teams;
    for (const Place& place : places_) {
      if (place.community_id == community_id) teams.push_back(&place);
    }
    if (teams.empty()) return places_.front();
    return *teams[next_team_++ % teams.size()];
  }

  void TakeFollowUps() {
    for (const CalledBack& member : ReadCallBacks().members) {
      if (report_.stopped) return;
      if (member.state != v1::LAB_STATE_RECALLED && member.state != v1::LAB_STATE_RESAMPLE_DUE) {
        continue;
      }
      const Place& place = FollowUpPlace(member.community_id);
      v1::TakeFollowUpSwabRequest request;
      // From the code, never the code itself: a rerun sends the same.
      request.set_request_id("fu-" + SeededKey(options_.seed, member.code, "request"));
      request.set_round(options_.round);
      request.set_desk(place.desk);
      request.set_resident_code(member.code);
      request.set_tube_barcode("RT-" + SeededKey(options_.seed, member.code, "tube"));
      v1::TakeFollowUpSwabResponse response;
      const grpc::Status status = AtPlace(place.token_key, [&](grpc::ClientContext& context) {
        return client_.checkin().TakeFollowUpSwab(&context, request, &response);
      });
      if (!status.ok()) {
        Error("TakeFollowUpSwab", status.error_message());
        continue;
      }
      Acknowledged(request);
      ++(response.replayed() ? report_.follow_ups_replayed : report_.follow_ups);
    }
  }

  void Mismatch(std::string what) { report_.mismatches.push_back(std::move(what)); }

  void Verify() {
    const CallBackLists lists = ReadCallBacks();
    report_.recall_tubes = static_cast<int64_t>(lists.recall_tubes.size());
    report_.resample_tubes = static_cast<int64_t>(lists.resample_tubes.size());
    // Every positive pool recalls its members, each once, as many as
    // it holds swabs.
    for (const std::string& tube : positive_pools_) {
      if (!lists.recall_tubes.contains(tube)) Mismatch("positive tube " + tube + " recalls nobody");
    }
    for (const auto& [tube, members] : lists.recall_tubes) {
      const auto swabs = swabs_of_.find(tube);
      if (swabs != swabs_of_.end() && swabs->second != members) {
        Mismatch(absl::StrCat("positive tube ", tube, " held ", swabs->second,
                              " swabs but recalls ", members, " residents"));
      }
    }
    std::set<std::string> seen;
    int64_t pending = 0;
    int64_t not_retested = 0;
    for (const CalledBack& member : lists.members) {
      if (!seen.insert(member.code).second) {
        Mismatch("a resident is on the call-back lists twice");
        continue;
      }
      (member.reason == v1::FOLLOW_UP_REASON_RECALL ? report_.recalled : report_.resampled)++;
      if (member.follow_up_tube.empty()) {
        ++not_retested;
        continue;
      }
      ++report_.retested;
      if (member.state == v1::LAB_STATE_RETEST_PENDING) ++pending;
      if (member.state == v1::LAB_STATE_CASE) ++report_.cases;
    }
    if (not_retested > 0) {
      Mismatch(absl::StrCat(not_retested, " residents called back gave no follow-up swab"));
    }
    if (pending > 0) Mismatch(absl::StrCat(pending, " follow-up swabs have no result"));
    // Late boxes and lost tubes are resampled, never tested.
    for (const v1::Box& box : ListBoxes()) {
      const bool late = box.age() == v1::BOX_AGE_BREACH;
      report_.late_boxes += late;
      for (const std::string& tube : late ? box.tube_barcodes() : box.missing_tubes()) {
        if (!lists.resample_tubes.contains(tube) && !follow_up_tubes_.contains(tube)) {
          Mismatch(absl::StrCat("tube ", tube, (late ? " of late box " : " lost from box "),
                                box.barcode(), " is not on the resample list"));
        }
      }
    }
    // The command center's counts say the same.
    v1::GetProgressRequest request;
    request.set_round(options_.round);
    request.set_level(v1::PROGRESS_LEVEL_COMMUNITY);
    v1::GetProgressResponse progress;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client_.progress().GetProgress(&context, request, &progress);
    });
    if (!status.ok()) return Error("GetProgress", status.error_message());
    report_.counts = progress.lab();
    if (report_.counts.follow_ups() != report_.retested) {
      Mismatch(absl::StrCat("progress counts ", report_.counts.follow_ups(),
                            " follow-up swabs; the lists show ", report_.retested));
    }
    if (report_.counts.cases() != report_.cases) {
      Mismatch(absl::StrCat("progress counts ", report_.counts.cases(), " cases; the lists show ",
                            report_.cases));
    }
  }

  Client& client_;
  const LabDayOptions& options_;
  LabDayReport report_;
  std::vector<Place> places_;
  size_t next_team_ = 0;
  std::set<std::string> held_;                 // boxes the courier leaves this run
  std::map<std::string, int> swabs_of_;        // tubes packed this run
  std::map<std::string, v1::FollowUpReason> follow_up_tubes_;
  std::set<std::string> positive_pools_;       // found positive this run
  std::set<std::string> reported_;             // tubes this run sent a result for
};

}  // namespace

absl::StatusOr<LabDayReport> RunLabDay(Client& client, const LabDayOptions& options) {
  if (options.box_tubes < 1) return absl::InvalidArgumentError("box_tubes must be at least 1");
  return LabDay(client, options).Run();
}

}  // namespace swabwave::services
