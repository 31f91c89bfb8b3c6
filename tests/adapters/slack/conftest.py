"""Slack adapter unit tests: rendering, translation, settings, pacing, retries (no network)."""
