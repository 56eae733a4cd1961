#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace dgsim {

IoError::IoError(const std::string& message, std::string path, std::string object)
    : Error(object.empty() ? fmt::format("{}: {}", path, message)
                           : fmt::format("{}: {}: {}", path, object, message)),
      path_(std::move(path)),
      object_(std::move(object)) {}

NumericalError::NumericalError(const std::string& message, double t, double dt, long step)
    : Error(fmt::format("{} (t = {:.17g}, dt = {:.6g}, step {})", message, t, dt, step)),
      t_(t),
      dt_(dt),
      step_(step) {}

NumericalError::NumericalError(const std::string& message)
    : Error(message), t_(std::nan("")), dt_(std::nan("")), step_(-1) {}

NumericalError::NumericalError(const std::string& full_message, double t, double dt, long step, bool)
    : Error(full_message), t_(t), dt_(dt), step_(step) {}

NumericalError NumericalError::prefixed(const std::string& context) const {
  return NumericalError(fmt::format("{}: {}", context, what()), t_, dt_, step_, true);
}

}  // namespace dgsim
