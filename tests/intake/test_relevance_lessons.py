"""Maintainers' decisions change what the model puts forward, and a maintainer can undo a bad lesson.

Real papers from the relevance corpus' stream (tests/data/relevance/knowledge-editing-and-sae.jsonl, provenance in
tests/data/README.md): 5 knowledge-editing papers maintainers reject and 5 sparse-autoencoder papers they approve,
then 23 other knowledge-editing and 21 other SAE papers nobody decided on. Everything goes through the command
line: candidates are stored as the intake stores them, `decide` takes the decisions, `classify` scores.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.intake.relevance import DEFAULT_THRESHOLD
from bot.store.db import Database
from bot.store.papers import PaperStore

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "relevance" / "knowledge-editing-and-sae.jsonl"


def papers(role: str) -> list[dict]:
    with DATA.open(encoding="utf-8") as fh:
        return [r for r in map(json.loads, fh) if r["role"] == role]


def add_candidate(database: Database, paper: dict) -> int:
    arxiv = paper["arxiv_id"]
    stored, _ = PaperStore(database).record_paper(
        keys=[f"arxiv:{arxiv}"],
        values={"canonical_id": f"arxiv:{arxiv}", "arxiv_id": arxiv, "title": paper["title"], "authors": [],
                "abstract": paper["summary"], "abs_url": f"https://arxiv.org/abs/{arxiv}", "pdf_url": "",
                "links": [], "categories": paper["categories"], "published": None, "score": 0.99, "topics": [],
                "status": "candidate", "listed_entry": None},
        feed="arxiv-cs-cl", item_id=arxiv, now=database.now())
    return stored.id


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, catalogue_dir: Path,
                 database_url: str):
        self.capsys, self.monkeypatch = capsys, monkeypatch
        self.base = ["--catalogue", str(catalogue_dir), "--db", database_url]

    def __call__(self, *args: str, stdin: str = "") -> tuple[int, str]:
        """Exit code and what was printed (stdout, then stderr)."""
        code, out, err = self.run(*args, stdin=stdin)
        return code, out + err

    def run(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main([*self.base, *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def scores(self, group: list[dict]) -> list[float]:
        lines = "\n".join(json.dumps({"title": p["title"], "summary": p["summary"]}) for p in group)
        code, out, err = self.run("classify", stdin=lines)
        assert code == 0, err
        return [json.loads(line)["score"] for line in out.splitlines()]


def above(scores: list[float]) -> int:
    return sum(s >= DEFAULT_THRESHOLD for s in scores)


@pytest.fixture
def cli(capsys, monkeypatch, catalogue_dir: Path, database_url: str) -> Cli:
    return Cli(capsys, monkeypatch, catalogue_dir, database_url)


def test_five_rejections_teach_the_model_a_kind_of_paper_while_an_approved_kind_stays(cli, database_url):
    database = Database.open(database_url)
    rejected = [add_candidate(database, p) for p in papers("rejected")]
    approved = [add_candidate(database, p) for p in papers("approved")]
    database.close()
    new_editing, new_sae = papers("new-knowledge-editing"), papers("new-sae")
    editing_before, sae_before = cli.scores(new_editing), cli.scores(new_sae)
    assert above(editing_before) == len(new_editing) == 23
    assert above(sae_before) == len(new_sae) == 21

    for paper_id in rejected:
        assert cli("decide", str(paper_id), "reject", "--force")[0] == 0
    for paper_id in approved:
        assert cli("decide", str(paper_id), "approve", "--topic", "sparse-coding", "--force")[0] == 0

    editing_after, sae_after = cli.scores(new_editing), cli.scores(new_sae)
    assert above(editing_after) <= 10  # 13 of the 23 fall below the threshold
    benchmarking = next(i for i, p in enumerate(new_editing) if p["arxiv_id"] == "2505.18690")
    assert editing_before[benchmarking] >= 0.85 and editing_after[benchmarking] < 0.1  # a sure one, then not
    assert above(sae_after) == 21  # the approved kind stays above, every one of them

    # Forgetting every lesson gives back the shipped scores exactly; the decisions themselves stand.
    code, listing = cli("lessons")
    assert code == 0
    assert "10 lesson(s) the relevance model learns from" in listing
    for paper_id in rejected + approved:
        code, out = cli("lessons", "--forget", str(paper_id))
        assert code == 0
        assert "the decision itself stands" in out
        noun = "rejection" if paper_id in rejected else "approval"
        assert out.startswith(f"forgotten: the relevance model no longer learns from the {noun} of #{paper_id} ")
    twice = cli("lessons", "--forget", str(rejected[0]))  # used to claim "forgotten" again
    assert twice[1].startswith(f"already forgotten: the relevance model does not learn from the rejection of "
                               f"#{rejected[0]} ")
    assert cli.scores(new_editing) == editing_before
    code, out = cli("candidates", "--json")
    assert json.loads(out) == []  # still decided: nothing came back as a candidate
    _, listing = cli("lessons", "--json")
    assert [(x["decision"], x["forgotten"], x["used"]) for x in json.loads(listing)] == \
        [("rejected", True, False)] * 5 + [("approved", True, False)] * 5

    # Restoring them teaches the same lessons again.
    for paper_id in rejected + approved:
        assert cli("lessons", "--restore", str(paper_id))[0] == 0
    assert cli.scores(new_editing) == editing_after
    assert cli("lessons", "--restore", str(approved[0]))[1].startswith(
        f"not forgotten: the relevance model already learns from the approval of #{approved[0]} ")


def test_forgetting_a_paper_without_a_decision_says_so(cli, database_url):
    Database.open(database_url).close()  # the database the bot's first start makes
    code, out = cli("lessons", "--forget", "4242")
    assert code == 1
    assert "candidate #4242 has no approval or rejection to learn from" in out
    assert cli("lessons")[1].startswith("No lessons yet")


def test_a_paper_rejected_upstream_is_a_rejection(cli, database_url):
    """An approval whose pull request was closed unmerged (the publisher marks it `rejected upstream`) teaches the
    model the paper was out of scope, not in."""
    paper = papers("rejected")[0]
    database = Database.open(database_url)
    paper_id = add_candidate(database, paper)
    database.close()
    assert cli("decide", str(paper_id), "approve", "--topic", "knowledge-editing", "--force")[0] == 0
    approved_score = cli.scores([paper])[0]
    database = Database.open(database_url)
    assert PaperStore(database).set_status(paper_id, "rejected upstream", only_from=["approved"], now=database.now())
    database.close()
    _, listing = cli("lessons", "--json")
    assert [(x["id"], x["decision"], x["used"]) for x in json.loads(listing)] == \
        [(paper_id, "rejected upstream", True)]
    rejected_score = cli.scores([paper])[0]
    assert approved_score >= DEFAULT_THRESHOLD > rejected_score


def test_forgetting_and_restoring_say_which_lessons_the_model_uses(cli, database_url):
    """Only the 150 most recent lessons are used: forgetting one too old to be used said the model "no longer
    learns" from it, restoring one said it "learns from it again", and neither said that an older lesson came back
    into use, or the oldest went out of it. `--json` printed text."""
    from bot.intake.relevance.decisions import MAX_LESSONS
    from bot.store.curation import CurationStore

    paper = papers("rejected")[0]
    database = Database.open(database_url)
    store, ids = CurationStore(database), []
    for n in range(MAX_LESSONS + 2):
        ids.append(add_candidate(database, {**paper, "arxiv_id": f"2411.{20000 + n}", "title": f"Editing {n}"}))
        with database.transaction() as conn:
            store.decide(conn, paper_id=ids[-1], decision="rejected", topic=None, deciders=["alice"], entry_id=None,
                         now=database.now())
    database.close()
    oldest, second, newest = ids[0], ids[1], ids[-1]
    _, out = cli("lessons", "--forget", str(oldest))
    assert out.startswith(f"forgotten: the rejection of #{oldest} 'Editing 0'; the relevance model did not learn from "
                          f"it anyway: it is too old to be used (only the {MAX_LESSONS} most recent lessons are)")
    code, out, _ = cli.run("lessons", "--forget", str(newest), "--json")
    assert code == 0
    change = json.loads(out)
    assert (change["id"], change["forgotten"], change["used"], change["changed"]) == (newest, True, False, True)
    assert change["now_used"] == [second]
    assert change["text"].endswith(f"; #{second}, older, is used again in its place")
    _, out = cli("lessons", "--restore", str(newest))
    assert out.startswith(f"restored: the relevance model learns from the rejection of #{newest} ")
    assert out.rstrip().endswith(f"; #{second}, the oldest used, is no longer (only the {MAX_LESSONS} most recent "
                                 "are)")
    _, out = cli("lessons", "--restore", str(oldest))
    assert out.startswith(f"restored: the rejection of #{oldest} 'Editing 0', but the relevance model does not learn "
                          "from it: it is too old")
