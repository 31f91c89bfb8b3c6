"""The list-matching benchmark: its reference scan and the index agree, and its options fail with usage help."""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

import pytest

from benchmarks.generated import size_list
from benchmarks.list_match import run
from bot.catalogue.yaml_io import load_catalogue

REPO = Path(__file__).resolve().parents[2]


def test_the_index_and_the_scan_find_the_same_matches_on_the_real_list(capsys) -> None:
    real = ["Eliciting Latent Predictions from Transformers with the Tuned Lens",  # listed, exactly
            "A Completely Different Study of Protein Folding Kinetics"]
    run(load_catalogue(REPO / "catalogue"), real, rounds=1, rng=random.Random(1))
    counts = re.search(r"matched by both (\d+), only by the scan (\d+), only by the index (\d+), to different "
                       r"entries (\d+)", capsys.readouterr().out)
    assert counts is not None
    both, only_scan, only_index, different = map(int, counts.groups())
    assert both >= 1 and (only_scan, only_index, different) == (0, 0, 0)


def test_sizes_are_read_as_a_comma_separated_list_and_anything_else_is_a_usage_error() -> None:
    assert size_list("93,10000") == [93, 10000]
    for bad in ("9x", "", "0", "93,,10"):
        with pytest.raises(argparse.ArgumentTypeError, match="positive whole numbers"):
            size_list(bad)
