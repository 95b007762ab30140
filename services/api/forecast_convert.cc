#include "services/api/forecast_convert.h"

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"

namespace swabwave::services {

absl::StatusOr<engine::forecast::ForecastOptions> ForecastOptionsFromProto(
    const v1::ForecastOptions& o, int threads) {
  engine::forecast::ForecastOptions options;
  if (o.replications() < 0 || o.replications() > kMaxForecastReplications) {
    return absl::InvalidArgumentError(absl::StrCat("replications ", o.replications(),
                                                   " must be between 1 and ",
                                                   kMaxForecastReplications, " (0: 100)"));
  }
  if (o.replications() != 0) options.replications = o.replications();
  if (o.seed() != 0) options.seed = o.seed();
  if (o.has_no_show_rate()) options.arrivals.no_show_rate = o.no_show_rate();
  if (o.has_late_share()) options.arrivals.late_share = o.late_share();
  if (o.has_lateness()) {
    absl::StatusOr<absl::Duration> lateness = DurationFromRequest("lateness", o.lateness());
    if (!lateness.ok()) return lateness.status();
    options.arrivals.lateness = *lateness;
  }
  if (o.per_desk_rate_per_hour() != 0) {
    options.service.per_desk_rate_per_hour = o.per_desk_rate_per_hour();
  }
  if (o.has_service_cv()) options.service.cv = o.service_cv();
  if (o.crowding_limit() != 0) options.crowding_limit = o.crowding_limit();
  if (o.has_bucket()) {
    absl::StatusOr<absl::Duration> bucket = DurationFromRequest("bucket", o.bucket());
    if (!bucket.ok()) return bucket.status();
    options.bucket = *bucket;
  }
  options.threads = threads;
  if (absl::Status s = engine::forecast::ValidateForecastOptions(options); !s.ok()) return s;
  return options;
}

void ForecastToProto(const engine::forecast::RoundForecast& forecast, size_t first_site,
                     size_t end_site, v1::ForecastRoundResponse* out) {
  out->set_replications(forecast.replications);
  out->set_seed(forecast.seed);
  ToProto(forecast.bucket, out->mutable_bucket());
  out->set_crowding_limit(forecast.crowding_limit);
  ToProto(forecast.completion_p50, out->mutable_completion_p50());
  ToProto(forecast.completion_p95, out->mutable_completion_p95());
  out->set_planned(forecast.planned);
  out->set_mean_served(forecast.mean_served);
  out->set_mean_no_shows(forecast.mean_no_shows);
  out->set_total_sites(static_cast<int32_t>(forecast.sites.size()));
  for (size_t s = first_site; s < end_site && s < forecast.sites.size(); ++s) {
    const engine::forecast::SiteForecast& site = forecast.sites[s];
    v1::SiteForecast* o = out->add_sites();
    o->set_site_id(site.site_id);
    o->set_desks(site.desks);
    o->set_planned(site.planned);
    o->set_mean_served(site.mean_served);
    o->set_mean_no_shows(site.mean_no_shows);
    o->set_peak_queue_p50(site.peak_queue_p50);
    o->set_peak_queue_p95(site.peak_queue_p95);
    ToProto(site.done_p50, o->mutable_done_p50());
    ToProto(site.done_p95, o->mutable_done_p95());
    ToProto(site.mean_wait_p50, o->mutable_mean_wait_p50());
    ToProto(site.mean_wait_p95, o->mutable_mean_wait_p95());
    ToProto(site.longest_wait_p95, o->mutable_longest_wait_p95());
    o->mutable_queue_p50()->Add(site.queue_p50.begin(), site.queue_p50.end());
    o->mutable_queue_p95()->Add(site.queue_p95.begin(), site.queue_p95.end());
  }
  for (const engine::forecast::CrowdedWave& wave : forecast.crowded_waves) {
    v1::CrowdedWave* o = out->add_crowded_waves();
    o->set_site_id(wave.site_id);
    o->set_wave(wave.wave);
    o->set_peak_queue_p50(wave.peak_queue_p50);
    o->set_peak_queue_p95(wave.peak_queue_p95);
    o->set_over_limit_by(wave.over_limit_by);
    o->set_share_over(wave.share_over);
  }
}

}  // namespace swabwave::services
