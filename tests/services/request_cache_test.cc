// RequestCache: what makes the rare mutations idempotent. A retry with the
// same request id gets the original answer without running again; a
// duplicate that arrives while the first is running waits for it; an id
// reused for a different request is INVALID_ARGUMENT; failures are not
// remembered, so a failed attempt can be retried.
#include "services/api/request_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;

v1::OpenRoundRequest Request(const std::string& request_id, const std::string& round) {
  v1::OpenRoundRequest request;
  request.set_request_id(request_id);
  request.set_round(round);
  return request;
}

TEST(RequestCacheTest, SameRequestIdGetsTheOriginalAnswer) {
  RequestCache cache;
  int runs = 0;
  const v1::OpenRoundRequest request = Request("id-1", "rounds/r");
  v1::OpenRoundResponse first, second;
  ASSERT_TRUE(cache
                  .Run("OpenRound", "id-1", request, &first,
                       [&] {
                         ++runs;
                         first.mutable_round()->set_name("rounds/r");
                         first.mutable_round()->set_state(v1::ROUND_STATE_OPEN);
                         return grpc::Status::OK;
                       })
                  .ok());
  const grpc::Status status = cache.Run("OpenRound", "id-1", request, &second, [&] {
    ++runs;
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "round r is open");
  });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
}

TEST(RequestCacheTest, SameIdUnderAnotherMethodIsAnotherRequest) {
  RequestCache cache;
  int runs = 0;
  v1::OpenRoundResponse response;
  const auto work = [&] {
    ++runs;
    return grpc::Status::OK;
  };
  ASSERT_TRUE(cache.Run("OpenRound", "id-1", Request("id-1", "rounds/r"), &response, work).ok());
  ASSERT_TRUE(cache.Run("CloseRound", "id-1", Request("id-1", "rounds/r"), &response, work).ok());
  EXPECT_EQ(runs, 2);
}

TEST(RequestCacheTest, IdReusedForADifferentRequestIsInvalid) {
  RequestCache cache;
  v1::OpenRoundResponse response;
  int runs = 0;
  const auto work = [&] {
    ++runs;
    return grpc::Status::OK;
  };
  ASSERT_TRUE(cache.Run("OpenRound", "id-1", Request("id-1", "rounds/a"), &response, work).ok());
  const grpc::Status reused =
      cache.Run("OpenRound", "id-1", Request("id-1", "rounds/b"), &response, work);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(reused.error_message(),
              HasSubstr("request_id 'id-1' was already used for a different OpenRound request"));
  EXPECT_THAT(reused.error_message(), HasSubstr("use a new request_id"));
  EXPECT_EQ(runs, 1);
}

TEST(RequestCacheTest, FailuresAreNotRemembered) {
  RequestCache cache;
  v1::OpenRoundResponse response;
  int runs = 0;
  const grpc::Status failed =
      cache.Run("OpenRound", "id-1", Request("id-1", "rounds/a"), &response, [&] {
        ++runs;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cut");
      });
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(cache.size(), 0u);
  ASSERT_TRUE(cache
                  .Run("OpenRound", "id-1", Request("id-1", "rounds/a"), &response,
                       [&] {
                         ++runs;
                         return grpc::Status::OK;
                       })
                  .ok());
  EXPECT_EQ(runs, 2);
}

// The first attempt is held inside its work until every duplicate has been
// issued; the duplicates find it running and must wait for its answer.
TEST(RequestCacheTest, ConcurrentDuplicateWaitsForTheFirst) {
  RequestCache cache;
  const v1::OpenRoundRequest request = Request("id-1", "rounds/r");
  std::atomic<int> runs{0};
  absl::Notification started, release;
  v1::OpenRoundResponse first_response;
  grpc::Status first_status;
  std::thread first([&] {
    first_status = cache.Run("OpenRound", "id-1", request, &first_response, [&] {
      runs.fetch_add(1);
      started.Notify();
      // Bounded: a broken test fails instead of hanging.
      EXPECT_TRUE(release.WaitForNotificationWithTimeout(absl::Seconds(10)));
      first_response.mutable_round()->set_name("rounds/r");
      return grpc::Status::OK;
    });
  });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));

  constexpr int kDuplicates = 4;
  std::atomic<int> returned{0};
  std::vector<v1::OpenRoundResponse> responses(kDuplicates);
  std::vector<grpc::Status> statuses(kDuplicates);
  std::vector<std::thread> duplicates;
  for (int i = 0; i < kDuplicates; ++i) {
    duplicates.emplace_back([&, i] {
      statuses[i] = cache.Run("OpenRound", "id-1", request, &responses[i], [&] {
        runs.fetch_add(1);
        return grpc::Status::OK;
      });
      returned.fetch_add(1);
    });
  }
  // While the first is held, no duplicate can have an answer to return.
  EXPECT_EQ(returned.load(), 0);
  release.Notify();
  first.join();
  for (std::thread& t : duplicates) t.join();

  EXPECT_EQ(runs.load(), 1);
  ASSERT_TRUE(first_status.ok());
  for (int i = 0; i < kDuplicates; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(responses[i].round().name(), "rounds/r") << i;
  }
}

// A duplicate waiting on a first attempt that fails runs the work itself.
TEST(RequestCacheTest, DuplicateOfAFailedAttemptRunsAgain) {
  RequestCache cache;
  const v1::OpenRoundRequest request = Request("id-1", "rounds/r");
  absl::Notification started, release;
  v1::OpenRoundResponse first_response, second_response;
  grpc::Status first_status, second_status;
  std::thread first([&] {
    first_status = cache.Run("OpenRound", "id-1", request, &first_response, [&] {
      started.Notify();
      EXPECT_TRUE(release.WaitForNotificationWithTimeout(absl::Seconds(10)));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining");
    });
  });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  std::thread second([&] {
    second_status = cache.Run("OpenRound", "id-1", request, &second_response, [&] {
      second_response.mutable_round()->set_name("rounds/r");
      return grpc::Status::OK;
    });
  });
  release.Notify();
  first.join();
  second.join();
  EXPECT_EQ(first_status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // Whichever order the two ran in, the second ends with a success.
  EXPECT_TRUE(second_status.ok()) << second_status.error_message();
  EXPECT_EQ(second_response.round().name(), "rounds/r");
}

TEST(RequestCacheTest, OldestEntriesAreForgottenPastCapacity) {
  RequestCache cache(3);
  v1::OpenRoundResponse response;
  int runs = 0;
  const auto work = [&] {
    ++runs;
    return grpc::Status::OK;
  };
  for (int i = 0; i < 10; ++i) {
    const std::string id = std::to_string(i);
    ASSERT_TRUE(cache.Run("OpenRound", id, Request(id, "rounds/r"), &response, work).ok());
  }
  EXPECT_LE(cache.size(), 3u);
  EXPECT_EQ(runs, 10);
  // The newest is still remembered; the oldest runs again.
  ASSERT_TRUE(cache.Run("OpenRound", "9", Request("9", "rounds/r"), &response, work).ok());
  EXPECT_EQ(runs, 10);
  ASSERT_TRUE(cache.Run("OpenRound", "0", Request("0", "rounds/r"), &response, work).ok());
  EXPECT_EQ(runs, 11);
}

}  // namespace
}  // namespace swabwave::services
