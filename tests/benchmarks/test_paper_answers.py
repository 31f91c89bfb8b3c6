"""The answers benchmark: it counts an entry given for a paper the list lacks as wrong, reads the real papers it
asks for from the shared folder, and listed entries asked for every way it asks get no wrong answer."""

from __future__ import annotations

import json
import random
from pathlib import Path

from benchmarks.paper_answers import (
    Query,
    Tally,
    judge,
    listed_queries,
    real_papers,
    real_queries,
    search_and_topic_queries,
)
from bot.catalogue.service import CatalogueService
from bot.commands import Commands

REPO = Path(__file__).resolve().parents[2]
ROME = "Locating and Editing Factual Associations in GPT"


def test_an_entry_given_for_a_paper_the_list_lacks_is_wrong_and_no_answer_is_right() -> None:
    commands = Commands(CatalogueService(REPO / "catalogue"))
    tally = Tally()
    judge(commands, Query("paper", ROME, "as if unlisted", None), tally)
    judge(commands, Query("paper", "A Completely Different Study of Protein Folding", "unlisted", None), tally)
    judge(commands, Query("paper", "Locating and Editing", "first words", "some-other-entry", loose=True), tally)
    assert tally.counts["as if unlisted"]["WRONG"] == 1
    assert tally.counts["unlisted"]["right"] == 1
    assert tally.counts["first words"]["WRONG"] == 1  # loose forgives no answer, not another entry
    assert tally.wrong[0].startswith(f"paper {ROME!r} -> 'locating-and-editing-factual-associations-in-gpt'")


def test_real_papers_are_read_from_the_shared_folder_and_asked_for_as_readers_ask(tmp_path: Path) -> None:
    corpus = tmp_path / "relevance-corpus"
    corpus.mkdir()
    papers = [{"arxiv_id": "2202.05262", "title": ROME},  # listed, by its arXiv id
              {"arxiv_id": "1906.03731", "title": "Is Attention Interpretable?"}]  # not listed
    (corpus / "positives.jsonl").write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    found, positives = real_papers(tmp_path)
    assert found == {"2202.05262": ROME, "1906.03731": "Is Attention Interpretable?"}
    assert positives == {"2202.05262", "1906.03731"}
    queries = real_queries(found, positives, {"2202.05262": "locating-and-editing-factual-associations-in-gpt"}, {},
                           random.Random(1))
    assert Query("paper", ROME, "real title", "locating-and-editing-factual-associations-in-gpt") in queries
    assert Query("paper", "Is Attention", "real title, first words (in the field)", None) in queries
    assert Query("paper", "[1906.03731] Is Attention Interpretable?",
                 "real title as reference or tab (in the field)", None) in queries


def test_a_few_listed_entries_asked_every_way_get_no_wrong_answer() -> None:
    service = CatalogueService(REPO / "catalogue")
    commands = Commands(service)
    entries = [e for e in service.index.catalogue.entries if e.acronym or "aclanthology" in str(e.links)][:6]
    tally = Tally()
    for query in listed_queries(entries, random.Random(1)):
        judge(commands, query, tally)
    assert tally.wrong == []
    assert sum(counts["right"] for counts in tally.counts.values()) > 200


def test_short_topic_names_are_asked_with_two_letters_swapped_and_three_letters_loosely() -> None:
    queries = search_and_topic_queries(CatalogueService(REPO / "catalogue"), random.Random(1))
    family = "topic: a short name, two letters swapped"
    assert Query("topic", "roem", family, "knowledge-editing") in queries
    assert Query("topic", "sea", family, "sparse-coding", loose=True) in queries  # or the word "sea", as typed
    assert not any(q.family == family and q.text in ("sae", "saes", "probign") for q in queries)
