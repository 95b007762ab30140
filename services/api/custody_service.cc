// CustodyService: a box packed at its site, picked up by a courier,
// received by a lab (engine/custody/box_book.h); and the command center's
// list of boxes with their ages.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/model/names.h"
#include "services/api/checkin_service.h"
#include "services/api/lab_convert.h"
#include "services/api/lab_service.h"
#include "services/api/proto_convert.h"
#include "services/api/status.h"

namespace swabwave::services {

absl::StatusOr<std::string> LabOf(const Principal& caller, const std::string& requested) {
  if (caller.role == Role::kLab) {
    if (!requested.empty() && requested != caller.lab_id) {
      return absl::PermissionDeniedError(
          absl::StrCat(caller.Describe(), " acts for lab ", caller.lab_id,
                       " only; leave lab_id empty or use that lab's token"));
    }
    return caller.lab_id;
  }
  if (requested.empty()) {
    return absl::InvalidArgumentError(
        "lab_id is required on a server without tokens (a lab token names its lab)");
  }
  if (absl::Status s = engine::CheckId("lab_id", requested); !s.ok()) return s;
  return requested;
}

engine::custody::Signature SignedBy(const Principal& caller, absl::Time now) {
  std::string by = caller.role == Role::kUnrestricted ? "server without tokens" : caller.Describe();
  if (by.size() > engine::custody::kMaxSignerBytes) by.resize(engine::custody::kMaxSignerBytes);
  return {std::move(by), absl::ToUnixSeconds(now)};
}

namespace {

// A hand-over's answer, once its record is durable.
template <class Call, class Response>
void AnswerBox(Call& call, const engine::Round& round, absl::Time now,
               const absl::StatusOr<engine::custody::BoxBook::Recorded>& recorded,
               Response* out) {
  if (!recorded.ok()) return call.Finish(recorded.status());
  BoxToProto(round, recorded->box, now, /*with_tubes=*/true, out->mutable_box());
  out->set_replayed(recorded->replayed);
  // A replayed answer waits too: its record may still be in flight.
  call.FinishDurably(grpc::Status::OK);
}

}  // namespace

grpc::ServerUnaryReactor* CustodyService::PackBox(grpc::CallbackServerContext* ctx,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) {
  return UnaryCall<v1::PackBoxRequest, v1::PackBoxResponse>::Start(
      context_, Rpc::kPackBox, ctx, request, response, [this](auto& call) {
        const v1::PackBoxRequest& r = call.request();
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<engine::DeskIndex> desk =
            ResolveDeskFor(context_, call.caller(), Rpc::kPackBox, **round, r.desk(), nullptr);
        if (!desk.ok()) return call.Finish(desk.status());
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          return call.Finish(admission);
        }
        const absl::Time now = context_.clock.Now();
        engine::Round::PackRequest pack;
        pack.box_barcode = r.box_barcode();
        pack.desk = *desk;
        pack.tube_barcodes.assign(r.tube_barcodes().begin(), r.tube_barcodes().end());
        pack.signature = SignedBy(call.caller(), now);
        AnswerBox(call, **round, now, (*round)->PackBox(pack), call.response());
      });
}

grpc::ServerUnaryReactor* CustodyService::PickUpBox(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return UnaryCall<v1::PickUpBoxRequest, v1::PickUpBoxResponse>::Start(
      context_, Rpc::kPickUpBox, ctx, request, response, [this](auto& call) {
        const v1::PickUpBoxRequest& r = call.request();
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        if (absl::Status s = engine::CheckCode("box_barcode", r.box_barcode()); !s.ok()) {
          return call.Finish(s);
        }
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          return call.Finish(admission);
        }
        const absl::Time now = context_.clock.Now();
        AnswerBox(call, **round, now,
                  (*round)->PickUpBox(r.box_barcode(), SignedBy(call.caller(), now)),
                  call.response());
      });
}

grpc::ServerUnaryReactor* CustodyService::ReceiveBox(grpc::CallbackServerContext* ctx,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return UnaryCall<v1::ReceiveBoxRequest, v1::ReceiveBoxResponse>::Start(
      context_, Rpc::kReceiveBox, ctx, request, response, [this](auto& call) {
        const v1::ReceiveBoxRequest& r = call.request();
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<std::string> lab = LabOf(call.caller(), r.lab_id());
        if (!lab.ok()) return call.Finish(lab.status());
        if (absl::Status s = engine::CheckCode("box_barcode", r.box_barcode()); !s.ok()) {
          return call.Finish(s);
        }
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          return call.Finish(admission);
        }
        const absl::Time now = context_.clock.Now();
        const std::vector<std::string> scanned(r.tube_barcodes().begin(), r.tube_barcodes().end());
        AnswerBox(call, **round, now,
                  (*round)->ReceiveBox(r.box_barcode(), *lab, SignedBy(call.caller(), now),
                                       scanned),
                  call.response());
      });
}

grpc::ServerUnaryReactor* CustodyService::ListBoxes(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListBoxesRequest, v1::ListBoxesResponse>::Start(
      context_, Rpc::kListBoxes, ctx, request, response, [this](auto& call) {
        // Tube barcodes make a page 200 times longer.
        absl::StatusOr<PageRequest> page =
            call.request().with_tubes() ? call.Page(100, 200) : call.Page(500, 5000);
        if (!page.ok()) return call.Finish(page.status());
        absl::StatusOr<engine::Round*> round =
            LookUpRoundFor(context_, call.caller(), Rpc::kListBoxes, call.request().round());
        if (!round.ok()) return call.Finish(round.status());
        const int64_t now = absl::ToUnixSeconds(context_.clock.Now());
        std::vector<engine::custody::Box> boxes = (*round)->Boxes();
        // Those still travelling first, oldest swab first: the ones to chase.
        std::stable_sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) {
          const bool a_travels = a.state != engine::custody::BoxState::kReceived;
          const bool b_travels = b.state != engine::custody::BoxState::kReceived;
          if (a_travels != b_travels) return a_travels;
          return a.oldest_swab_unix_seconds < b.oldest_swab_unix_seconds;
        });
        v1::ListBoxesResponse* out = call.response();
        int32_t warnings = 0;
        int32_t breaches = 0;
        for (const engine::custody::Box& box : boxes) {
          const engine::custody::BoxAge age = engine::custody::AgeOf(box.AgeSeconds(now));
          warnings += age == engine::custody::BoxAge::kWarning;
          breaches += age == engine::custody::BoxAge::kBreach;
        }
        out->set_total(static_cast<int32_t>(boxes.size()));
        out->set_warnings(warnings);
        out->set_breaches(breaches);
        const size_t end = page->End(boxes.size());
        for (size_t i = page->offset; i < end; ++i) {
          BoxToProto(**round, boxes[i], absl::FromUnixSeconds(now), call.request().with_tubes(),
                     out->add_boxes());
        }
        if (end < boxes.size()) out->set_next_page_token(page->Token(end));
        call.Finish(grpc::Status::OK);
      });
}

grpc::ServerUnaryReactor* CustodyService::ListTubesToPack(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListTubesToPackRequest, v1::ListTubesToPackResponse>::Start(
      context_, Rpc::kListTubesToPack, ctx, request, response, [this](auto& call) {
        absl::StatusOr<PageRequest> page = call.Page(1000, 5000);
        if (!page.ok()) return call.Finish(page.status());
        // A token is a tube index this server handed out (its check makes
        // anything else a mistake caught before here).
        if (page->offset >= engine::kNoId) {
          return call.Finish(absl::InvalidArgumentError("page_token is not from this list"));
        }
        const v1::ListTubesToPackRequest& r = call.request();
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<engine::DeskIndex> desk = ResolveDeskFor(
            context_, call.caller(), Rpc::kListTubesToPack, **round, r.desk(), nullptr);
        if (!desk.ok()) return call.Finish(desk.status());
        absl::StatusOr<engine::Round::TubesToPackPage> tubes = (*round)->TubesToPack(
            *desk, static_cast<engine::TubeIndex>(page->offset), page->size);
        if (!tubes.ok()) return call.Finish(tubes.status());
        v1::ListTubesToPackResponse* out = call.response();
        for (const engine::Round::TubeToPack& tube : tubes->tubes) {
          v1::TubeToPack* row = out->add_tubes();
          row->set_barcode(tube.barcode);
          row->set_desk((*round)->DeskName(tube.desk));
          row->set_swabs(static_cast<int32_t>(tube.swabs));
          ToProto(absl::FromUnixSeconds(tube.oldest_swab_unix_seconds), row->mutable_oldest_swab());
          row->set_follow_up(engine::lab::IsFollowUpTube(tube.tube));
        }
        if (tubes->next != engine::kNoId) out->set_next_page_token(page->Token(tubes->next));
        call.Finish(grpc::Status::OK);
      });
}

}  // namespace swabwave::services
