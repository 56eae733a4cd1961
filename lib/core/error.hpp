#pragma once
// dgsim's exceptions. Only main() catches them all and maps them to exit codes:
//   ConfigError -> 2, NumericalError -> 3, IoError -> 4, Interrupted -> 75.

#include <stdexcept>
#include <string>

namespace dgsim {

// Base of every dgsim exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: unknown name, bad parameter value, inconsistent options.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// File or HDF5 failure; carries the path and the object (dataset, attribute) concerned.
class IoError : public Error {
 public:
  IoError(const std::string& message, std::string path, std::string object = {});
  const std::string& path() const { return path_; }
  const std::string& object() const { return object_; }

 private:
  std::string path_;
  std::string object_;
};

// Step-size underflow, Newton divergence, NaN; carries where it happened.
class NumericalError : public Error {
 public:
  NumericalError(const std::string& message, double t, double dt, long step);
  // A failure outside time stepping (e.g. a non-finite training loss): the message as given,
  // t and dt NaN, step -1.
  explicit NumericalError(const std::string& message);
  // The same error with context in front of its message ("trajectory 3: ..."), where it
  // happened kept and stated once.
  NumericalError prefixed(const std::string& context) const;
  double t() const { return t_; }
  double dt() const { return dt_; }
  long step() const { return step_; }

 private:
  NumericalError(const std::string& full_message, double t, double dt, long step, bool);
  double t_;
  double dt_;
  long step_;
};

// A run stopped cleanly after SIGINT/SIGTERM; safe to re-run.
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace dgsim
