#include "engine/forecast/site_queue.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace swabwave::engine::forecast {

namespace {

// Raises peaks[first..last] to at least `level`, growing the vector.
void Raise(std::vector<int32_t>& peaks, size_t first, size_t last, int32_t level) {
  if (peaks.size() <= last) peaks.resize(last + 1, 0);
  for (size_t i = first; i <= last; ++i) peaks[i] = std::max(peaks[i], level);
}

// Index of the window of width `width` holding time t.
size_t WindowOf(double t, double width) { return static_cast<size_t>(t / width); }

// Index of the last window a span ending (exclusively) at `end` touches.
size_t LastWindowBefore(double end, double width, size_t first) {
  const double last = std::ceil(end / width) - 1;
  return last <= static_cast<double>(first) ? first : static_cast<size_t>(last);
}

}  // namespace

const SiteDay& SiteQueue::Run(std::span<const SiteArrival> arrivals, int desks,
                              const ServiceTimeModel& service, Random& random) {
  uniform_desks_.assign(static_cast<size_t>(windows_.wave_count), desks);
  return Run(arrivals, uniform_desks_, service, random);
}

double SiteQueue::NextStart(size_t desk, double at_s,
                            std::span<const int32_t> desks_by_wave) const {
  double start_s = std::max(at_s, desk_free_s_[desk]);
  const size_t waves = desks_by_wave.size();
  for (size_t wave = static_cast<size_t>(start_s / windows_.wave_length_s); wave < waves;
       ++wave) {
    if (desk < static_cast<size_t>(desks_by_wave[wave])) return start_s;
    start_s = std::max(start_s, static_cast<double>(wave + 1) * windows_.wave_length_s);
  }
  return start_s;  // past the last wave: open
}

const SiteDay& SiteQueue::Run(std::span<const SiteArrival> arrivals,
                              std::span<const int32_t> desks_by_wave,
                              const ServiceTimeModel& service, Random& random) {
  const int desks = *std::max_element(desks_by_wave.begin(), desks_by_wave.end());
  day_.served = 0;
  day_.last_done_s = 0;
  day_.total_wait_s = 0;
  day_.longest_wait_s = 0;
  day_.bucket_peaks.clear();
  day_.wave_peaks.assign(static_cast<size_t>(windows_.wave_count), 0);
  desk_free_s_.assign(static_cast<size_t>(desks), 0.0);
  waited_from_s_.clear();
  waited_until_s_.clear();

  for (const SiteArrival& party : arrivals) {
    for (int32_t person = 0; person < party.people; ++person) {
      // The desk that can start them first; the lowest number on a tie.
      size_t desk = 0;
      double start_s = NextStart(0, party.at_s, desks_by_wave);
      for (size_t d = 1; d < desk_free_s_.size(); ++d) {
        const double candidate_s = NextStart(d, party.at_s, desks_by_wave);
        if (candidate_s < start_s) {
          start_s = candidate_s;
          desk = d;
        }
      }
      const double done_s = start_s + service.Draw(random);
      desk_free_s_[desk] = done_s;
      if (start_s > party.at_s) {
        day_.total_wait_s += start_s - party.at_s;
        day_.longest_wait_s = std::max(day_.longest_wait_s, start_s - party.at_s);
        waited_from_s_.push_back(party.at_s);
        waited_until_s_.push_back(start_s);
      }
      day_.last_done_s = std::max(day_.last_done_s, done_s);
      ++day_.served;
    }
  }

  // Walk the line's joins (+1) and departures to a desk (-1) in time order;
  // events at the same moment are applied together before recording, so
  // someone who steps up as another leaves is not counted twice.
  constexpr double kNever = std::numeric_limits<double>::infinity();
  size_t joined = 0, left = 0;
  int32_t level = 0;
  while (left < waited_until_s_.size()) {
    const double join_s = joined < waited_from_s_.size() ? waited_from_s_[joined] : kNever;
    const double now_s = std::min(join_s, waited_until_s_[left]);
    while (joined < waited_from_s_.size() && waited_from_s_[joined] == now_s) {
      ++level;
      ++joined;
    }
    while (left < waited_until_s_.size() && waited_until_s_[left] == now_s) {
      --level;
      ++left;
    }
    if (level == 0) continue;
    // Someone still waits, so a departure is still to come.
    const double next_join_s = joined < waited_from_s_.size() ? waited_from_s_[joined] : kNever;
    RecordLevel(level, now_s, std::min(next_join_s, waited_until_s_[left]));
  }
  // Cover the whole day, quiet buckets included, up to the last departure.
  if (day_.last_done_s > 0) {
    const size_t buckets = LastWindowBefore(day_.last_done_s, windows_.bucket_s, 0) + 1;
    if (day_.bucket_peaks.size() < buckets) day_.bucket_peaks.resize(buckets, 0);
  }
  return day_;
}

void SiteQueue::RecordLevel(int32_t level, double from_s, double to_s) {
  const size_t first_bucket = WindowOf(from_s, windows_.bucket_s);
  Raise(day_.bucket_peaks, first_bucket, LastWindowBefore(to_s, windows_.bucket_s, first_bucket),
        level);
  // Waiting after the last wave's window still counts to the last wave.
  const size_t last_wave = static_cast<size_t>(windows_.wave_count - 1);
  const size_t first_wave = std::min(WindowOf(from_s, windows_.wave_length_s), last_wave);
  const size_t end_wave =
      std::min(LastWindowBefore(to_s, windows_.wave_length_s, first_wave), last_wave);
  Raise(day_.wave_peaks, first_wave, end_wave, level);
}

}  // namespace swabwave::engine::forecast
