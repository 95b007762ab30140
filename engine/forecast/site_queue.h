// SiteQueue: one site's day in one replication of the forecast. People
// join the site's single line in order of arrival (a household one after
// another) and each goes to the desk that frees first (lowest number on a
// tie): first come, first served across all of the site's desks.
//
// It records the waiting line only: people who have arrived and are not
// yet at a desk, which is the crowd in the street the schedule exists to
// avoid. For each time bucket and each wave's window it keeps the most
// people waiting at once.
//
// Times are seconds after the round's start.
//
// Thread-safety: a SiteQueue holds scratch space; use one per thread.
#ifndef SWABWAVE_ENGINE_FORECAST_SITE_QUEUE_H_
#define SWABWAVE_ENGINE_FORECAST_SITE_QUEUE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/forecast/random.h"
#include "engine/forecast/service_time.h"

namespace swabwave::engine::forecast {

// A party at the site's door: `people` arrive together at `at_s`.
struct SiteArrival {
  double at_s = 0;
  int32_t people = 0;
};

// How the day is cut up for the record.
struct QueueWindows {
  double bucket_s = 300;        // > 0
  double wave_length_s = 1800;  // > 0
  int wave_count = 1;           // >= 1; time past the last wave counts to the last wave
};

struct SiteDay {
  int64_t served = 0;
  double last_done_s = 0;   // when the last person leaves a desk; 0 when nobody came
  double total_wait_s = 0;  // summed over everyone served, from arrival to a desk
  double longest_wait_s = 0;
  // [bucket] most people waiting at once in [b * bucket_s, (b + 1) * bucket_s);
  // as many buckets as it takes to cover last_done_s.
  std::vector<int32_t> bucket_peaks;
  // [wave] most people waiting at once during the wave's window.
  std::vector<int32_t> wave_peaks;
};

class SiteQueue {
 public:
  explicit SiteQueue(QueueWindows windows) : windows_(windows) {}

  // Serves `arrivals` at `desks` desks, each person's service time drawn
  // from `service` in the order they reach a desk. The result stays valid
  // until the next Run.
  // REQUIRES: arrivals sorted by at_s, every at_s >= 0, desks >= 1.
  const SiteDay& Run(std::span<const SiteArrival> arrivals, int desks,
                     const ServiceTimeModel& service, Random& random);
  // The same with the desks open per wave (a plan made within the staff on
  // hand opens fewer desks in some waves): desks 1..desks_by_wave[w] take
  // people during wave w; a desk closed when it would next take someone
  // waits for the next wave it is open in. Past the last wave, every desk
  // ever open serves whoever is still in line.
  // REQUIRES: as above, and desks_by_wave has one count per wave, some >= 1.
  const SiteDay& Run(std::span<const SiteArrival> arrivals,
                     std::span<const int32_t> desks_by_wave, const ServiceTimeModel& service,
                     Random& random);

 private:
  // Records that `level` people wait throughout [from_s, to_s).
  void RecordLevel(int32_t level, double from_s, double to_s);

  QueueWindows windows_;
  SiteDay day_;
  // When desk d can next start someone who arrived at `at_s`: its free
  // time, or the start of the next wave it is open in.
  double NextStart(size_t desk, double at_s, std::span<const int32_t> desks_by_wave) const;

  std::vector<double> desk_free_s_;
  std::vector<int32_t> uniform_desks_;  // scratch for the uniform Run
  // Of the people who had to wait: when they came and when a desk took them.
  // Both ascending: the line is first come, first served.
  std::vector<double> waited_from_s_;
  std::vector<double> waited_until_s_;
};

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_SITE_QUEUE_H_
