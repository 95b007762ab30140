#include "engine/forecast/forecast.h"

#include <algorithm>
#include <optional>
#include <span>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/forecast/demand.h"
#include "engine/forecast/percentile.h"
#include "engine/forecast/random.h"
#include "engine/forecast/site_queue.h"
#include "engine/parallel/parallel_for.h"

namespace swabwave::engine::forecast {

absl::Status ValidateForecastOptions(const ForecastOptions& options) {
  if (absl::Status s = ValidateArrivalOptions(options.arrivals); !s.ok()) return s;
  if (absl::Status s = ValidateServiceTimeOptions(options.service); !s.ok()) return s;
  if (options.replications < 1 || options.replications > kMaxReplications) {
    return absl::InvalidArgumentError(absl::StrCat("replications ", options.replications,
                                                   " must be between 1 and ", kMaxReplications,
                                                   " (100 is usual)"));
  }
  if (options.threads < 0 || options.threads > kMaxForecastThreads) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threads ", options.threads, " must be between 0 (all cores) and ", kMaxForecastThreads));
  }
  if (options.bucket < kMinBucket || options.bucket > kMaxBucket) {
    return absl::InvalidArgumentError(absl::StrCat("bucket ", absl::FormatDuration(options.bucket),
                                                   " must be between 10s and 24h (5m is usual)"));
  }
  if (options.crowding_limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat("crowding_limit ", options.crowding_limit,
                                                   " must be 0 or more people waiting"));
  }
  return absl::OkStatus();
}

namespace {

// Per replication, over the sites one worker simulated; combined across
// workers by max and integer sums, which do not depend on who did what.
struct RoundTotals {
  explicit RoundTotals(int replications)
      : completion_s(replications, 0.0), served(replications, 0), no_shows(replications, 0) {}
  std::vector<double> completion_s;
  std::vector<int64_t> served;
  std::vector<int64_t> no_shows;
};

// Runs every replication of one site at a time, keeping its scratch space
// from site to site. One per worker thread.
class SiteForecaster {
 public:
  SiteForecaster(const ForecastOptions& options, const ArrivalModel& arrivals,
                 const ServiceTimeModel& service, QueueWindows windows)
      : options_(options),
        arrivals_(arrivals),
        service_(service),
        windows_(windows),
        queue_(windows),
        bucket_rows_(static_cast<size_t>(options.replications)) {}

  void Run(const SiteDemand& demand, SiteForecast& site, std::vector<CrowdedWave>& crowded,
           RoundTotals& totals);

 private:
  // Simulates replication r of the site; the day stays valid until the next.
  const SiteDay& Replicate(const SiteDemand& demand, int r);
  // p50 and p95 of `column_` (reordered).
  std::pair<int32_t, int32_t> MedianAndP95();

  const ForecastOptions& options_;
  const ArrivalModel& arrivals_;
  const ServiceTimeModel& service_;
  const QueueWindows windows_;
  SiteQueue queue_;
  std::vector<SiteArrival> at_door_;
  std::vector<double> done_s_;                     // [replication]
  std::vector<double> mean_wait_s_;                // [replication]
  std::vector<double> longest_wait_s_;             // [replication]
  std::vector<int32_t> day_peaks_;                 // [replication]
  std::vector<int32_t> wave_peaks_;                // [replication * waves + wave]
  std::vector<std::vector<int32_t>> bucket_rows_;  // [replication][bucket]
  std::vector<int32_t> column_;                    // one bucket or wave across replications
};

const SiteDay& SiteForecaster::Replicate(const SiteDemand& demand, int r) {
  Random random = Random::ForStream(options_.seed, demand.site, static_cast<uint64_t>(r));
  at_door_.clear();
  for (const PlannedParty& party : demand.parties) {
    const PartyArrival arrival =
        arrivals_.Draw(party.size, party.index_in_wave, party.parties_in_wave, random);
    if (arrival.shows == 0) continue;
    at_door_.push_back(SiteArrival{party.wave * windows_.wave_length_s + arrival.after_wave_start_s,
                                   arrival.shows});
  }
  // Parties come in wave by wave but lateness and the random spread mix
  // them; the line is in order of arrival.
  std::sort(at_door_.begin(), at_door_.end(),
            [](const SiteArrival& a, const SiteArrival& b) { return a.at_s < b.at_s; });
  return queue_.Run(at_door_, demand.desks_by_wave, service_, random);
}

std::pair<int32_t, int32_t> SiteForecaster::MedianAndP95() {
  std::sort(column_.begin(), column_.end());
  const std::span<const int32_t> sorted(column_);
  return {PercentileOfSorted(sorted, 50), PercentileOfSorted(sorted, 95)};
}

void SiteForecaster::Run(const SiteDemand& demand, SiteForecast& site,
                         std::vector<CrowdedWave>& crowded, RoundTotals& totals) {
  const size_t replications = static_cast<size_t>(options_.replications);
  const size_t waves = static_cast<size_t>(windows_.wave_count);
  done_s_.assign(replications, 0.0);
  mean_wait_s_.assign(replications, 0.0);
  longest_wait_s_.assign(replications, 0.0);
  day_peaks_.assign(replications, 0);
  wave_peaks_.assign(replications * waves, 0);
  size_t buckets = 0;
  int64_t served = 0;
  for (size_t r = 0; r < replications; ++r) {
    const SiteDay& day = Replicate(demand, static_cast<int>(r));
    served += day.served;
    totals.served[r] += day.served;
    totals.no_shows[r] += demand.residents - day.served;
    totals.completion_s[r] = std::max(totals.completion_s[r], day.last_done_s);
    done_s_[r] = day.last_done_s;
    if (day.served > 0) mean_wait_s_[r] = day.total_wait_s / static_cast<double>(day.served);
    longest_wait_s_[r] = day.longest_wait_s;
    bucket_rows_[r].assign(day.bucket_peaks.begin(), day.bucket_peaks.end());
    buckets = std::max(buckets, day.bucket_peaks.size());
    for (int32_t peak : day.bucket_peaks) day_peaks_[r] = std::max(day_peaks_[r], peak);
    std::copy(day.wave_peaks.begin(), day.wave_peaks.end(), wave_peaks_.begin() + r * waves);
  }

  site.mean_served = static_cast<double>(served) / static_cast<double>(replications);
  site.mean_no_shows = static_cast<double>(demand.residents) - site.mean_served;
  site.done_p50 = absl::Seconds(Percentile(done_s_, 50));
  site.done_p95 = absl::Seconds(Percentile(done_s_, 95));
  site.mean_wait_p50 = absl::Seconds(Percentile(mean_wait_s_, 50));
  site.mean_wait_p95 = absl::Seconds(Percentile(mean_wait_s_, 95));
  site.longest_wait_p95 = absl::Seconds(Percentile(longest_wait_s_, 95));
  column_ = day_peaks_;
  std::tie(site.peak_queue_p50, site.peak_queue_p95) = MedianAndP95();
  site.queue_p50.resize(buckets);
  site.queue_p95.resize(buckets);
  for (size_t b = 0; b < buckets; ++b) {
    column_.clear();
    // A replication that finished sooner had nobody waiting then.
    for (const std::vector<int32_t>& row : bucket_rows_) {
      column_.push_back(b < row.size() ? row[b] : 0);
    }
    std::tie(site.queue_p50[b], site.queue_p95[b]) = MedianAndP95();
  }
  for (size_t w = 0; w < waves; ++w) {
    column_.clear();
    for (size_t r = 0; r < replications; ++r) column_.push_back(wave_peaks_[r * waves + w]);
    const auto [p50, p95] = MedianAndP95();
    if (p95 <= options_.crowding_limit) continue;
    const auto first_over =
        std::upper_bound(column_.begin(), column_.end(), options_.crowding_limit);
    crowded.push_back(CrowdedWave{
        .site = site.site,
        .site_id = site.site_id,
        .wave = static_cast<int>(w),
        .peak_queue_p50 = p50,
        .peak_queue_p95 = p95,
        .over_limit_by = p95 - options_.crowding_limit,
        .share_over =
            static_cast<double>(column_.end() - first_over) / static_cast<double>(replications),
    });
  }
}

}  // namespace

absl::StatusOr<RoundForecast> ForecastRound(const RoundLayout& layout, const RoundConfig& config,
                                            const plan::Plan& plan,
                                            const ForecastOptions& options) {
  if (absl::Status s = ValidateForecastOptions(options); !s.ok()) return s;
  absl::StatusOr<std::vector<SiteDemand>> demand = BuildDemand(layout, config, plan);
  if (!demand.ok()) return demand.status();
  // Buckets past the round's end (people still being served) are few; the
  // round's own length is what the limit is about.
  absl::Duration rest;  // IDivDuration requires somewhere to put it
  const int64_t records_per_replication = std::max<int64_t>(
      absl::IDivDuration(config.duration, options.bucket, &rest) + 1, plan.wave_count);
  if (records_per_replication * options.replications > kMaxRecordsPerSite) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bucket ", absl::FormatDuration(options.bucket), " and replications ", options.replications,
        " need ", records_per_replication * options.replications, " records per site, over ",
        kMaxRecordsPerSite, "; use wider buckets or fewer replications"));
  }

  RoundForecast forecast;
  forecast.replications = options.replications;
  forecast.seed = options.seed;
  forecast.start = config.start;
  forecast.bucket = options.bucket;
  forecast.crowding_limit = options.crowding_limit;
  forecast.sites.resize(demand->size());
  std::vector<uint32_t> busy_sites;
  for (const SiteDemand& site_demand : *demand) {
    SiteForecast& site = forecast.sites[site_demand.site];
    site.site = site_demand.site;
    site.site_id = layout.site(site_demand.site).id;
    site.desks = site_demand.desks;
    site.planned = site_demand.residents;
    forecast.planned += site_demand.residents;
    if (site_demand.residents > 0) busy_sites.push_back(site_demand.site);
  }

  const ArrivalModel arrivals(options.arrivals, config.wave_length);
  const ServiceTimeModel service(options.service);
  const QueueWindows windows{.bucket_s = absl::ToDoubleSeconds(options.bucket),
                             .wave_length_s = absl::ToDoubleSeconds(config.wave_length),
                             .wave_count = plan.wave_count};
  // Sites are handed out one at a time; which worker takes which does not
  // change any figure (see the file comment in forecast.h).
  const size_t workers = ParallelWorkers(busy_sites.size(), options.threads);
  std::vector<RoundTotals> totals(workers, RoundTotals(options.replications));
  std::vector<std::optional<SiteForecaster>> forecasters(workers);
  std::vector<std::vector<CrowdedWave>> crowded_of_site(demand->size());
  ParallelFor(busy_sites.size(), options.threads, [&](size_t worker, size_t i) {
    std::optional<SiteForecaster>& forecaster = forecasters[worker];
    if (!forecaster) forecaster.emplace(options, arrivals, service, windows);
    const uint32_t s = busy_sites[i];
    forecaster->Run((*demand)[s], forecast.sites[s], crowded_of_site[s], totals[worker]);
  });

  RoundTotals& round = totals[0];
  for (size_t t = 1; t < totals.size(); ++t) {
    for (int r = 0; r < options.replications; ++r) {
      round.completion_s[r] = std::max(round.completion_s[r], totals[t].completion_s[r]);
      round.served[r] += totals[t].served[r];
      round.no_shows[r] += totals[t].no_shows[r];
    }
  }
  int64_t served = 0, no_shows = 0;
  for (int r = 0; r < options.replications; ++r) {
    served += round.served[r];
    no_shows += round.no_shows[r];
  }
  forecast.mean_served = static_cast<double>(served) / options.replications;
  forecast.mean_no_shows = static_cast<double>(no_shows) / options.replications;
  forecast.completion_p50 = absl::Seconds(Percentile(round.completion_s, 50));
  forecast.completion_p95 = absl::Seconds(Percentile(round.completion_s, 95));
  for (std::vector<CrowdedWave>& crowded : crowded_of_site) {
    for (CrowdedWave& wave : crowded) forecast.crowded_waves.push_back(std::move(wave));
  }
  return forecast;
}

}  // namespace swabwave::engine::forecast
