// The swabwave CLI's command line (CLI11): every command with its own
// flags, so a flag given to a command that does not take it is refused
// with that command's flags named; `swabwave help COMMAND` and
// `swabwave COMMAND --help` show them; `--output table|csv|json`,
// `--server`, `--token` and the TLS flags go with every command;
// `swabwave completion` prints a bash completion script made from the
// same definitions.
//
// Thread-safety: call once, from main.
#ifndef SWABWAVE_SERVICES_SWABWAVE_COMMAND_LINE_H_
#define SWABWAVE_SERVICES_SWABWAVE_COMMAND_LINE_H_

namespace swabwave::services::cli {

// Parses the command line and runs the command; the process's exit code:
// the command's, or 2 for a command line it cannot take (the reason and
// the command's usage on stderr).
int RunCommandLine(int argc, char** argv);

}  // namespace swabwave::services::cli

#endif  // SWABWAVE_SERVICES_SWABWAVE_COMMAND_LINE_H_
