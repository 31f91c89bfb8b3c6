"""The learning-curve benchmark's day sampling: a share of whole listing days, none at share 0, reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.relevance_learning_curve import candidate_days, sample_days

DAYS = [f"2026-01-{d:02d}" for d in range(1, 21)]


def test_a_share_draws_that_many_distinct_days_and_the_same_seed_draws_the_same() -> None:
    drawn = sample_days(DAYS, 0.25, np.random.default_rng(3))
    assert len(drawn) == 5 and drawn <= set(DAYS)
    assert drawn == sample_days(DAYS, 0.25, np.random.default_rng(3))
    assert sample_days(DAYS, 1.0, np.random.default_rng(0)) == set(DAYS)


def test_share_zero_draws_no_day_and_a_tiny_share_still_draws_one() -> None:
    assert sample_days(DAYS, 0.0, np.random.default_rng(0)) == set()
    assert len(sample_days(DAYS, 0.01, np.random.default_rng(0))) == 1


def test_candidate_days_map_each_labelled_candidate_to_its_listing_day(tmp_path: Path) -> None:
    path = tmp_path / "candidates.jsonl"
    rows = [{"arxiv_id": "2601.00001", "date": "2026-01-05"}, {"arxiv_id": "2601.00002", "date": "2026-01-07"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert candidate_days(path) == {"2601.00001": "2026-01-05", "2601.00002": "2026-01-07"}
