"""The learning-curve benchmark: a share of whole listing days, none at share 0, reproducible; bad options get usage
help."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.relevance_learning_curve import main, sample_days

DAYS = [f"2026-01-{d:02d}" for d in range(1, 21)]


def test_a_share_draws_that_many_distinct_days_and_the_same_seed_draws_the_same() -> None:
    drawn = sample_days(DAYS, 0.25, np.random.default_rng(3))
    assert len(drawn) == 5 and drawn <= set(DAYS)
    assert drawn == sample_days(DAYS, 0.25, np.random.default_rng(3))
    assert sample_days(DAYS, 1.0, np.random.default_rng(0)) == set(DAYS)


def test_share_zero_draws_no_day_and_a_tiny_share_still_draws_one() -> None:
    assert sample_days(DAYS, 0.0, np.random.default_rng(0)) == set()
    assert len(sample_days(DAYS, 0.01, np.random.default_rng(0))) == 1


def test_a_missing_file_or_an_impossible_option_is_a_usage_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "stream.jsonl").write_text("", encoding="utf-8")
    for argv, message in ((["--corpus", str(tmp_path / "nowhere")], "--corpus:"),
                          (["--corpus", str(tmp_path), "--candidates", str(tmp_path / "none.jsonl")], "--candidates:"),
                          (["--folds", "1"], "--folds must be at least 2"),
                          (["--draws", "0"], "--draws at least 1")):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
