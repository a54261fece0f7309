#include "bridge/admission.hpp"

#include <algorithm>

namespace meross::bridge {

Admission::Admission(AdmissionLimits limits)
    : limits_(limits), tokens_(static_cast<double>(limits.burst)) {}

Admission::Verdict Admission::admit(TimePoint now, std::size_t undiscovered) {
  const double burst = static_cast<double>(limits_.burst);
  if (started_ && now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst, tokens_ + elapsed * limits_.per_second);
  }
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  // The cap first: a refusal for it takes no token, so the devices behind the made-up ones are
  // let in as soon as those are dropped.
  if (undiscovered >= limits_.max_undiscovered) return Verdict::too_many;
  if (tokens_ < 1.0) return Verdict::too_fast;
  tokens_ -= 1.0;
  return Verdict::admitted;
}

}  // namespace meross::bridge
