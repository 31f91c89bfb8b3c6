"""The console adapter: the same answers in a terminal, no chat account needed."""

from bot.adapters.console.adapter import ConsoleAdapter, create_adapter

__all__ = ["ConsoleAdapter", "create_adapter"]
