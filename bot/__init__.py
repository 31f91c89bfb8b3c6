"""interp-bot: a living Awesome-LLM-Interpretability list."""

__version__ = "0.1.0"
