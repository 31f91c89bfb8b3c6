"""The list itself: the model (topics, entries, links), YAML load/validate/append (atomic), markdown import and
render, search (topics and entries), git commits of approvals, and the live service the bot reads it through.

Only this package reads or writes the catalogue directory.
"""
