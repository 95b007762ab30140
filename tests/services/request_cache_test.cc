#include "services/api/request_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;

v1::OpenRoundRequest Request(const std::string& round) {
  v1::OpenRoundRequest request;
  request.set_request_id("id-1");
  request.set_round(round);
  return request;
}

TEST(RequestCacheTest, SameIdGetsTheOriginalResponse) {
  RequestCache cache;
  int runs = 0;
  auto work = [&](v1::OpenRoundResponse* response) {
    return [&runs, response] {
      ++runs;
      response->mutable_round()->set_name("rounds/r");
      return grpc::Status::OK;
    };
  };
  v1::OpenRoundResponse first, second;
  ASSERT_TRUE(cache.Run("OpenRound", "id-1", Request("rounds/r"), &first, work(&first)).ok());
  ASSERT_TRUE(cache.Run("OpenRound", "id-1", Request("rounds/r"), &second, work(&second)).ok());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(second.round().name(), "rounds/r");
  // The same id under another method is another request.
  ASSERT_TRUE(cache.Run("CloseRound", "id-1", Request("rounds/r"), &second, work(&second)).ok());
  EXPECT_EQ(runs, 2);
}

TEST(RequestCacheTest, IdReusedForADifferentRequestIsRefused) {
  RequestCache cache;
  v1::OpenRoundResponse response;
  auto ok = [] { return grpc::Status::OK; };
  ASSERT_TRUE(cache.Run("OpenRound", "id-1", Request("rounds/a"), &response, ok).ok());
  const grpc::Status reused = cache.Run("OpenRound", "id-1", Request("rounds/b"), &response, ok);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(reused.error_message(), HasSubstr("already used"));
}

TEST(RequestCacheTest, FailuresAreNotRemembered) {
  RequestCache cache;
  v1::OpenRoundResponse response;
  int runs = 0;
  const grpc::Status failed = cache.Run("OpenRound", "id-1", Request("rounds/a"), &response, [&] {
    ++runs;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cut");
  });
  EXPECT_FALSE(failed.ok());
  ASSERT_TRUE(cache
                  .Run("OpenRound", "id-1", Request("rounds/a"), &response,
                       [&] {
                         ++runs;
                         return grpc::Status::OK;
                       })
                  .ok());
  EXPECT_EQ(runs, 2);
}

TEST(RequestCacheTest, ConcurrentDuplicatesRunOnce) {
  RequestCache cache;
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      v1::OpenRoundResponse response;
      const grpc::Status status =
          cache.Run("OpenRound", "id-1", Request("rounds/r"), &response, [&] {
            runs.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            response.mutable_round()->set_name("rounds/r");
            return grpc::Status::OK;
          });
      EXPECT_TRUE(status.ok());
      EXPECT_EQ(response.round().name(), "rounds/r");
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
}

TEST(RequestCacheTest, OldestEntriesAreForgottenPastCapacity) {
  RequestCache cache(3);
  v1::OpenRoundResponse response;
  for (int i = 0; i < 10; ++i) {
    v1::OpenRoundRequest request = Request("rounds/r");
    request.set_request_id(std::to_string(i));
    ASSERT_TRUE(cache
                    .Run("OpenRound", std::to_string(i), request, &response,
                         [] { return grpc::Status::OK; })
                    .ok());
  }
  EXPECT_LE(cache.size(), 3u);
}

}  // namespace
}  // namespace swabwave::services
