"""Slack adapter unit tests: rendering, translation, settings, pacing, retries (no network beyond loopback)."""

import sys
from pathlib import Path

# The shared fakes live in tests/fakes; make `tests.fakes...` importable however pytest is invoked.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
