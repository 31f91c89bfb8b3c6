"""Training the relevance model (the [train] extra): reproducible, served exactly, blind to the held-out months.

A small corpus made of the two real listing days in tests/data/relevance (the real corpus is not in the repository);
the all-archives listing in tests/data/feeds gives the extra negatives, as it does for the shipped model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from bot.intake.relevance import training_data
from bot.intake.relevance.scorer import Scorer
from bot.intake.relevance.train import main, nb_scale

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
STREAM = DATA / "relevance" / "stream-2025-05-22-and-2025-12-09.jsonl"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "relevance-corpus"
    folder.mkdir()
    shutil.copy(STREAM, folder / "stream.jsonl")
    positives = [{"arxiv_id": "2309.08600", "title": "Sparse Autoencoders Find Highly Interpretable Features in "
                  "Language Models", "summary": "", "source": "test"},
                 {"arxiv_id": "2507.01234", "title": "A paper from the held-out months", "summary": "",
                  "source": "test"}]
    (folder / "positives.jsonl").write_text("".join(json.dumps(p) + "\n" for p in positives), encoding="utf-8")
    return folder


def test_retraining_writes_the_same_bytes_and_the_scorer_serves_them(corpus: Path, catalogue_dir: Path,
                                                                       tmp_path: Path, capsys) -> None:
    out = tmp_path / "model.json.gz"
    args = ["--corpus", str(corpus), "--catalogue", str(catalogue_dir), "--out", str(out), "--folds", "2"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "parity: max |scorer - scikit-learn| over 500 papers" in printed
    scorer = Scorer.load(out)
    assert 0.0 < scorer.threshold < 1.0
    assert scorer.model["meta"]["data"]["stream_papers"] == 429
    assert main([*args, "--check"]) == 0
    assert f"{out}: identical" in capsys.readouterr().out


def test_a_word_that_separates_the_classes_is_scaled_up_and_a_word_both_use_alike_is_not() -> None:
    # Columns: a word only in-scope papers use, a word every paper uses, a word only the others use.
    present = sp.csr_matrix([[0.4, 0.2, 0.0], [0.7, 0.1, 0.0], [0.0, 0.3, 0.5], [0.0, 0.6, 0.9]])
    in_scope = np.array([1, 1, 0, 0])
    scale = nb_scale(present, in_scope, np.ones(4), alpha=1.0)
    assert scale[1] == pytest.approx(1.0)  # no evidence either way: regularised as before
    assert scale[0] == pytest.approx(1.0 + np.log(3.0)) == pytest.approx(scale[2])  # (2 + 1) / (0 + 1), either way
    # A paper of weight 0 (as the fit weighs it) is not evidence: the same as leaving it out.
    weighted = nb_scale(present, in_scope, np.array([1.0, 0.0, 1.0, 1.0]), alpha=1.0)
    assert weighted == pytest.approx(nb_scale(present[[0, 2, 3]], in_scope[[0, 2, 3]], np.ones(3), alpha=1.0))


def test_no_paper_from_the_held_out_months_is_trained_on(corpus: Path, catalogue_dir: Path) -> None:
    stream = training_data.load_stream(corpus)
    extras, stats = training_data.load_extra_positives(corpus, catalogue_dir, stream)
    assert stats["dropped_held_out"] == 1
    assert "2507.01234" not in {d.arxiv_id for d in extras}
    training_data.check_held_out(stream + extras)
    with pytest.raises(AssertionError, match=r"2510\.00001"):
        training_data.check_held_out([training_data.Doc("t", "", 0, "", arxiv_id="2510.00001")])
    with (corpus / "stream.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"arxiv_id": "2506.00002", "title": "t", "summary": "", "date": "2025-06-02",
                             "label": 0, "borderline": False}) + "\n")
    with pytest.raises(ValueError, match=r"held-out arXiv id 2506\.00002"):
        training_data.load_stream(corpus)


def _candidate(arxiv_id: str, title: str, categories: list[str], label: int = 0) -> str:
    return json.dumps({"arxiv_id": arxiv_id, "title": title, "summary": "An abstract.", "categories": categories,
                       "date": "2025-05-21", "label": label, "borderline": False, "note": "test",
                       "source": "test"}) + "\n"


def test_labelled_candidates_add_only_new_papers_of_the_streams_fields(corpus: Path, tmp_path: Path) -> None:
    stream = training_data.load_stream(corpus)
    known = stream[0]
    path = tmp_path / "candidates.jsonl"
    path.write_text(_candidate("2505.99001", "Sparse Feature Circuits in a Small Model", ["cs.CL"], 1)
                    + _candidate(known.arxiv_id, "another title, same paper", ["cs.CL"])
                    + _candidate("2505.99002", known.title.upper(), ["cs.LG"])
                    + _candidate("2505.99003", "Probing Spin Chains", ["quant-ph"])
                    + _candidate("2505.99001", "Sparse Feature Circuits in a Small Model", ["cs.CL"], 1),
                    encoding="utf-8")
    read = training_data.load_candidates(path, stream)
    assert [(d.arxiv_id, d.label, d.source) for d in read] == [("2505.99001", 1, "candidate")]
    assert read[0].date == "2025-05-21"  # its listing day: the learning-curve benchmark samples candidates by day
    path.write_text(_candidate("2509.00001", "A paper from the held-out months", ["cs.CL"]), encoding="utf-8")
    with pytest.raises(ValueError, match=r"held-out arXiv id 2509\.00001"):
        training_data.load_candidates(path, stream)


def test_the_shipped_candidates_are_labelled_with_a_reason_and_a_source() -> None:
    from bot.intake.relevance.train import DEFAULT_CANDIDATES

    rows = [json.loads(line) for line in DEFAULT_CANDIDATES.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 300
    assert not [r["arxiv_id"] for r in rows if training_data.held_out_id(r["arxiv_id"])]
    assert len({r["arxiv_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["label"] in (0, 1) and isinstance(r["borderline"], bool), r["arxiv_id"]
        assert r["note"] and r["summary"] and r["source"].startswith("zzhaozeng/daily-arXiv-ai-enhanced:data/"), r
        assert not r["date"].startswith(("2025-06", "2025-07", "2025-08", "2025-09", "2025-10")), r


def test_a_bad_candidates_file_is_named_with_its_line(corpus: Path, tmp_path: Path, catalogue_dir: Path,
                                                       capsys) -> None:
    stream = training_data.load_stream(corpus)
    path = tmp_path / "candidates.jsonl"
    path.write_text(_candidate("2505.99001", "A title", ["cs.CL"]) + '{"arxiv_id": "2505.99002", "title": "t"}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"candidates\.jsonl:2: missing field\(s\) summary, label, borderline"):
        training_data.load_candidates(path, stream)
    path.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"candidates\.jsonl:1: not a JSON object"):
        training_data.load_candidates(path, stream)
    with pytest.raises(SystemExit) as exited:
        main(["--corpus", str(corpus), "--catalogue", str(catalogue_dir), "--candidates", str(tmp_path / "none")])
    assert exited.value.code == 2
    assert "--candidates:" in capsys.readouterr().err


def test_training_without_the_candidates_records_none(corpus: Path, catalogue_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json.gz"
    assert main(["--corpus", str(corpus), "--catalogue", str(catalogue_dir), "--out", str(out), "--folds", "2",
                 "--no-candidates"]) == 0
    data = Scorer.load(out).model["meta"]["data"]
    assert data["candidates"] == 0
    assert not any("stream-candidates" in name for name in Scorer.load(out).model["meta"]["data_sha256_16"])
