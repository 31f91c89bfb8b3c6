"""Exit codes of every `interp-bot` command."""

EXIT_OK = 0
EXIT_FAIL = 1  # the command ran and the answer is "no" (not found, stale, failed)
EXIT_USAGE = 2  # the command line itself is wrong
EXIT_CONFIG = 3  # a setting is missing or wrong
EXIT_PIPE = 141  # the reader closed the pipe (`| head`): what a tool killed by SIGPIPE reports
