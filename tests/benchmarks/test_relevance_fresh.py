"""The fresh-days benchmark: its labelled days are none the model trained on, and it reads what a user gives it or
says why not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.relevance_fresh import DEFAULT_FILE, load, main
from bot.intake.relevance import scorer as scorer_module
from bot.intake.relevance import training_data
from bot.intake.relevance.train import DEFAULT_CANDIDATES


def test_the_fresh_days_are_labelled_with_a_reason_and_never_trained_on() -> None:
    rows = load(DEFAULT_FILE)
    trained = list(training_data.read_jsonl(DEFAULT_CANDIDATES))
    assert len(rows) == len({r["arxiv_id"] for r in rows}) > 1000
    assert not {r["arxiv_id"] for r in rows} & {r["arxiv_id"] for r in trained}
    assert not {r["date"] for r in rows} & {r["date"] for r in trained}
    assert not [r["arxiv_id"] for r in rows if training_data.held_out_id(r["arxiv_id"])]
    for r in rows:
        assert r["note"] and r["summary"] and r["source"].startswith("zzhaozeng/daily-arXiv-ai-enhanced:data/"), r


def _paper(arxiv_id: str, title: str, summary: str, label: int, date: str) -> str:
    return json.dumps({"arxiv_id": arxiv_id, "title": title, "summary": summary, "date": date, "label": label,
                       "borderline": False})


# Two listing days, each with one paper of either label (titles and abstracts written for the test).
SMALL_DAYS = [
    _paper("2601.00001", "Sparse autoencoders find monosemantic features in a language model",
           "We train sparse autoencoders on the residual stream of GPT-2 and find interpretable features.", 1,
           "2026-01-05"),
    _paper("2601.00002", "A faster tokenizer", "We make byte-pair encoding faster for web-scale corpora.", 0,
           "2026-01-05"),
    _paper("2601.00003", "Probing attention heads of a transformer language model for syntax",
           "Linear probes on the attention heads of BERT recover parse trees.", 1, "2026-01-06"),
    _paper("2601.00004", "Solar panel placement with reinforcement learning",
           "We place solar panels with a policy-gradient agent.", 0, "2026-01-06"),
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_table_ranks_a_small_file(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "fresh.jsonl", SMALL_DAYS[:2])
    assert main(["--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 labelled candidates, 1 in scope, 1 listing days" in out
    assert "| shipped | 1.000 | 1.000 |" in out


def test_another_model_is_scored_beside_the_shipped_one(tmp_path: Path, capsys) -> None:
    """`--model` adds a row and the day-bootstrap interval of the AP difference: the shipped file against itself
    differs by nothing."""
    path = _write(tmp_path / "fresh.jsonl", SMALL_DAYS)
    shipped = Path(scorer_module.__file__).with_name("model.json.gz")
    assert main(["--file", str(path), "--model", str(shipped)]) == 0
    out = capsys.readouterr().out
    assert "4 labelled candidates, 2 in scope, 2 listing days" in out
    assert f"| {shipped} | 1.000 | 1.000 |" in out and "| shipped | 1.000 | 1.000 |" in out
    assert f"AP difference ({shipped} - shipped), 90 % day-bootstrap interval: +0.000 to +0.000" in out


def test_a_bad_file_or_model_is_a_usage_error_naming_it(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(_paper("2601.00001", "t", "s", 1, "2026-01-05") + "\n{not json\n", encoding="utf-8")
    one_label = tmp_path / "one.jsonl"
    one_label.write_text(_paper("2601.00001", "t", "s", 1, "2026-01-05") + "\n", encoding="utf-8")
    for argv, message in ((["--file", str(broken)], f"{broken}:2: not a JSON object"),
                          (["--file", str(tmp_path / "none.jsonl")], "--file:"),
                          (["--file", str(one_label)], "needs papers of both labels"),
                          (["--model", str(tmp_path / "none.json.gz")], "--model:")):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
