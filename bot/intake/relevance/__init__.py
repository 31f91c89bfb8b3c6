"""Relevance: is a paper about LLM interpretability (a calibrated probability), and under which of the list's
topics would it stand. The scorer is a linear model trained offline (`python -m bot.intake.relevance.train`,
the `[train]` extra) and shipped as `model.json.gz`; it runs on the standard library alone. README.md beside
this file gives the model's data, provenance and figures."""

from bot.intake.relevance.model import DEFAULT_THRESHOLD, Label, Relevance, RelevanceModel, labels_from
from bot.intake.relevance.topics import TopicScore

__all__ = ["DEFAULT_THRESHOLD", "Label", "Relevance", "RelevanceModel", "TopicScore", "labels_from"]
