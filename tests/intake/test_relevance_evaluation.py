"""The operating point at a recall, as the training report and the relevance benchmarks read it."""

from __future__ import annotations

import numpy as np

from bot.intake.relevance.evaluation import at_recall


def test_the_point_at_a_recall_is_the_highest_threshold_that_reaches_it() -> None:
    y = np.array([1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    assert at_recall(y, s, 0.5) == {"t": 0.9, "P": 1.0, "R": 0.5, "fp_per_1000": 0.0}
    assert at_recall(y, s, 0.9) == {"t": 0.7, "P": 2 / 3, "R": 1.0, "fp_per_1000": 200.0}
