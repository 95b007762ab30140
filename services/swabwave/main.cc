// swabwave: the command center's CLI. `swabwave help` lists the commands;
// `swabwave help COMMAND` shows one command's flags (command_line.h).
#include "services/swabwave/command_line.h"

int main(int argc, char** argv) { return swabwave::services::cli::RunCommandLine(argc, argv); }
