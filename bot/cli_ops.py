"""Subcommands that need the store, the feeds or the chat adapters (imported only when used)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def dispatch(args: argparse.Namespace, settings: Any) -> int:
    print(f"interp-bot: `{args.command}` is not available in this build", file=sys.stderr)
    return 2
