"""The `interp-bot` command line (the contract in docs/architecture.md: tests and benchmarks rely on it).

* `main`       — the parser and `main()`: global options, dispatch, exit codes, errors as one line.
* `lookups`    — topic, search, topics, paper, render, import-markdown: the catalogue alone, no heavy imports.
* `operations` — subcommands that need the store, the feeds or the chat adapters (poll, decide, run, status...).
* `output`     — every JSON shape the command line prints, in one place.
"""

from bot.cli.main import main

__all__ = ["main"]
