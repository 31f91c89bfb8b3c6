"""`python -m benchmarks NAME [OPTIONS]`: the options after a benchmark's name are that benchmark's, as
benchmarks/README.md writes them (`python -m benchmarks relevance`; `--folds 8` is faster)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_the_options_after_a_name_go_to_that_benchmark() -> None:
    done = benchmarks("relevance", "--help")
    assert done.returncode == 0, done.stderr
    assert "--folds FOLDS" in done.stdout
    bad = benchmarks("list_match", "--sizes", "9x")  # list_match's own usage error, not "unknown benchmark"
    assert "positive whole numbers" in bad.stderr
    assert "unknown benchmark" not in bad.stderr


def test_options_for_several_benchmarks_at_once_are_a_usage_error() -> None:
    done = benchmarks("list_match", "latency", "--rounds", "1")
    assert done.returncode == 2
    assert "options go to one benchmark" in done.stderr
