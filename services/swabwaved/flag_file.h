// The documented flag file the package installs as
// /etc/swabwave/swabwaved.flags (read with absl's --flagfile): every flag
// swabwaved defines, each under its help text, with its default. A flag
// whose value on this command line differs from its default is written as
// a setting; every other flag is written commented out, at its default, so
// the file lists everything an operator may set and where it now stands.
//
// Written by `swabwaved --print_flag_file [--flag=value ...]` at build time,
// so the file and the binary cannot drift apart.
//
// Thread-safety: call after absl::ParseCommandLine, from main.
#ifndef SWABWAVE_SERVICES_SWABWAVED_FLAG_FILE_H_
#define SWABWAVE_SERVICES_SWABWAVED_FLAG_FILE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace swabwave::services {

// The flag file of the flags defined in a source file whose path ends with
// `defined_in`, but `leave_out`, sorted by name, under `heading` (lines
// that become comments).
std::string DocumentedFlagFile(absl::string_view heading, absl::string_view defined_in,
                               absl::string_view leave_out);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVED_FLAG_FILE_H_
