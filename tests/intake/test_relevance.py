"""Relevance scoring and topic suggestions as the intake and `interp-bot classify` see them."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from bot.catalogue.text import fold
from bot.catalogue.yaml_io import load_catalogue
from bot.cli.operations import classify_stream
from bot.intake.relevance import Label, RelevanceModel, load_background, load_lexicon, load_positives
from bot.intake.relevance_text import feature_keys, ngram_features, words

CATALOGUE_DIR = Path(__file__).resolve().parents[2] / "catalogue"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE_DIR)


@pytest.fixture(scope="module")
def model(catalogue):
    return RelevanceModel.build(catalogue)


# Real titles, none of them on the list.
@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("Sparse Autoencoders Reveal Universal Feature Spaces Across Large Language Models", "sparse-coding"),
        ("Scaling Monosemanticity: Extracting Interpretable Features from Claude 3 Sonnet", "sparse-coding"),
        ("How to use and interpret activation patching", "causal-intervention"),
        ("Steering Language Models With Activation Engineering", "inference-time-intervention"),
        ("Probing Classifiers: Promises, Shortcomings, and Advances", "probing"),
        ("Mass-Editing Memory in a Transformer", "knowledge-editing"),
        ("Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets", "phase-transition-grokking"),
        ("Future Lens: Anticipating Subsequent Tokens from a Single Hidden State", "embedding-projection"),
    ],
)
def test_interpretability_papers_are_relevant_with_a_sensible_topic(model, title, topic):
    result = model.score(title)
    assert result.relevant, (title, result.score)
    assert result.topics[0].slug == topic, [t.slug for t in result.topics]


@pytest.mark.parametrize(
    "title",
    [
        "Attention Is All You Need",  # "attention" in an architecture paper
        "Deep Residual Learning for Image Recognition",
        "Linear Probing Revisited: Tombstones Mark the Demise of Primary Clustering",  # hash tables
        "Parameterized quantum circuits as machine learning models",
        "TabNet: Attentive Interpretable Tabular Learning",
        "Rich feature hierarchies for accurate object detection and semantic segmentation",
        "Medusa: Simple LLM Inference Acceleration Framework with Multiple Decoding Heads",
        "Searching for Activation Functions",
        "Large Language Models Encode Clinical Knowledge",
    ],
)
def test_unrelated_papers_are_not_relevant(model, title):
    result = model.score(title)
    assert not result.relevant, (title, result.score)


def test_result_shape_scores_in_unit_interval_and_at_most_top_topics(model, catalogue):
    for title, summary in [
        ("Mechanistic interpretability of induction heads", "We study attention heads in GPT-2."),
        ("", ""),
        ("Ünïcode tïtle with ∑ symbols", "x" * 5000),
    ]:
        result = model.score(title, summary)
        assert 0.0 <= result.score <= 1.0
        assert result.relevant == (result.score >= 0.5)
        assert len(result.topics) <= 3
        assert [t.score for t in result.topics] == sorted((t.score for t in result.topics), reverse=True)
        for t in result.topics:
            assert 0.0 <= t.score <= 1.0
            assert t.path == catalogue.path_text(t.slug)
            assert t.title == catalogue.topic(t.slug).title
    assert len(model.score("Sparse autoencoders and activation patching", top=1).topics) == 1


def test_container_and_non_research_topics_are_only_suggested_when_the_text_is_that_kind(model):
    suggested = {t.slug for t in model.score("Sparse autoencoders find features in transformer circuits").topics}
    assert suggested.isdisjoint({"paper-blog", "by-topic", "component", "survey", "tutorial", "library", "video"})
    survey = model.score("A Survey on Sparse Autoencoders: Interpreting the Internal Mechanisms of LLMs")
    assert survey.topics[0].slug == "survey"
    assert "sparse-coding" in [t.slug for t in survey.topics]


def test_scoring_is_deterministic_across_builds(catalogue, model):
    titles = [("Toy Models of Superposition", ""), ("Mixtral of Experts", "A sparse mixture of experts model.")]
    again = RelevanceModel.build(catalogue)
    assert model.score_many(titles) == again.score_many(titles) == [model.score(t, s) for t, s in titles]


def test_threshold_decides_relevant(catalogue, model):
    never = RelevanceModel.build(catalogue, threshold=1.01)
    always = RelevanceModel.build(catalogue, threshold=0.0)
    for title in ("Interpreting the logit lens in GPT-2", "Mistral 7B"):
        assert not never.score(title).relevant
        assert always.score(title).relevant
        assert never.score(title).score == always.score(title).score == model.score(title).score


def test_summary_can_carry_a_vague_title(model):
    title = "Looking inside"
    summary = "We train sparse autoencoders on the residual stream of GPT-2 and find monosemantic features."
    assert model.score(title, summary).score > model.score(title).score
    assert model.score(title, summary).relevant


def test_rejected_kind_of_paper_scores_lower_after_rebuilding(catalogue, model):
    kind = "Probing the limits of {} in large language model serving"
    rejected = [Label(kind.format(x), "", relevant=False) for x in ("latency", "throughput", "batching", "caching")]
    retrained = RelevanceModel.build(catalogue, rejected)
    unseen = kind.format("memory bandwidth")
    assert retrained.score(unseen).score < model.score(unseen).score
    # and a clearly relevant paper is untouched in kind
    assert retrained.score("Sparse autoencoders find interpretable features in language models").relevant


def test_approved_paper_raises_its_topic_for_similar_text(catalogue, model):
    title = "Tracing tokenization artefacts through the embedding matrix of GPT-2"
    before = {t.slug: t.score for t in model.score(title, top=40).topics}
    approved = [
        Label("Tokenization artefacts in the embedding matrix of Pythia", "", relevant=True, topic="visulization"),
        Label("Glitch tokens and the embedding matrix of GPT-J", "", relevant=True, topic="visulization"),
    ]
    retrained = RelevanceModel.build(catalogue, approved)
    after = retrained.score(title)
    assert after.topics[0].slug == "visulization"
    assert after.topics[0].score > before.get("visulization", 0.0)
    assert after.score > model.score(title).score


def test_classify_stream_contract(model):
    lines = [
        json.dumps({"title": "Sparse Autoencoders Find Highly Interpretable Directions", "summary": ""}),
        "not json at all",
        json.dumps({"summary": "no title here"}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"title": "Mistral 7B"}),
    ]
    out = io.StringIO()
    bad = classify_stream(model, lines, out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert bad == 3
    assert len(results) == 5  # the blank line is skipped, every other line answered in order
    first = results[0]
    assert set(first) == {"relevant", "score", "topics"}
    assert first["relevant"] is True
    assert isinstance(first["score"], float)
    assert first["topics"][0]["slug"] == "sparse-coding"
    assert set(first["topics"][0]) == {"slug", "title", "path", "score"}
    assert "error" in results[1]
    assert "JSON" in results[1]["error"]
    assert "error" in results[2]
    assert "title" in results[2]["error"]
    assert "error" in results[3]
    assert results[4]["relevant"] is False


def test_build_and_scoring_are_fast(catalogue):
    start = time.perf_counter()
    model = RelevanceModel.build(catalogue)
    assert time.perf_counter() - start < 0.5
    titles = [(f"Paper {i}: sparse autoencoders on the residual stream of a transformer", "") for i in range(2000)]
    start = time.perf_counter()
    model.score_many(titles)
    # The benchmark measures ~0.25 s; the bound leaves room for slow CI machines.
    assert time.perf_counter() - start < 2.0


DEV_SET = CATALOGUE_DIR.parent / "benchmarks" / "data" / "relevance_dev.jsonl"


def _dev_titles() -> set[str]:
    with DEV_SET.open(encoding="utf-8") as fh:
        return {fold(json.loads(line)["title"]) for line in fh if line.strip()}


def test_packaged_positives_are_real_training_data_disjoint_from_the_dev_set_and_the_list(catalogue):
    positives = load_positives()
    assert len(positives) >= 300
    titles = [fold(p.title) for p in positives]
    assert len(set(titles)) == len(titles), "duplicate positives"
    assert set(titles).isdisjoint(_dev_titles()), "a dev title is in the training positives"
    assert set(titles).isdisjoint(fold(e.title) for e in catalogue.entries)
    assert set(titles).isdisjoint(fold(d.title) for d in load_background())
    for p in positives:  # every topic named is a topic of the list that holds entries
        assert p.topic is None or catalogue.entries_under(p.topic), (p.title, p.topic)


def test_packaged_background_is_disjoint_from_the_dev_set():
    assert {fold(d.title) for d in load_background()}.isdisjoint(_dev_titles())


def test_packaged_positives_teach_the_word_model_and_the_topics(catalogue, model):
    title = "The emergence of number and syntax units in LSTM language models"  # a packaged positive (neuron)
    without = RelevanceModel.assemble(
        catalogue,
        threshold=0.5,
        lexicon=load_lexicon(),
        positives=[],
        background=[d.title for d in load_background()],
    )
    assert model.score(title).score > without.score(title).score
    assert model.score(title).relevant
    assert model.score(title).topics[0].slug == "neuron"


def test_the_models_feature_keys_are_the_ngram_features_with_bigrams_as_word_pairs():
    canonical: dict[str, str] = {}
    for text in [
        "Probing for syntax in the syntax of probing",
        "Sparse autoencoders: sparse, autoencoders and 2 more sparse autoencoders",
        "",
        "one",
        "Interprétabilité des modèles — a b c",
    ]:
        keys = feature_keys(words(text), canonical)
        assert [" ".join(k) if isinstance(k, tuple) else k for k in keys] == ngram_features(words(text))
    pairs = [k for k in feature_keys(words("sparse autoencoders sparse"), canonical) if isinstance(k, tuple)]
    assert all(w is canonical[w] for pair in pairs for w in pair)  # one object per word across texts
