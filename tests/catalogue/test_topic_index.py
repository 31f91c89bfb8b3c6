"""Topic resolution answers what a reader means: names, aliases, prefixes, typos, ambiguity."""

from __future__ import annotations

import pytest

from bot.catalogue.topic_index import TopicIndex
from bot.catalogue.yaml_io import load_catalogue
from tests.conftest import CATALOGUE


@pytest.fixture(scope="module")
def topics() -> TopicIndex:
    return TopicIndex(load_catalogue(CATALOGUE))


@pytest.mark.parametrize(
    ("query", "slug", "how"),
    [
        ("probing", "probing", "exact"),
        ("Probing", "probing", "exact"),
        ("probign", "probing", "fuzzy"),
        ("sparse-coding", "sparse-coding", "exact"),
        ("sae", "sparse-coding", "alias"),
        ("SAEs", "sparse-coding", "alias"),
        ("dictionary learning", "sparse-coding", "alias"),
        ("superposition", "sparse-coding", "alias"),
        ("logit lens", "embedding-projection", "alias"),
        ("tuned lens", "embedding-projection", "alias"),
        ("activation patching", "causal-intervention", "alias"),
        ("path patching", "causal-intervention", "alias"),
        ("causal tracing", "causal-intervention", "alias"),
        ("ROME", "knowledge-editing", "alias"),
        ("memit", "knowledge-editing", "alias"),
        ("IOI", "function", "alias"),
        ("induction heads", "attention", "alias"),
        ("steering", "inference-time-intervention", "alias"),
        ("CAA", "inference-time-intervention", "alias"),
        ("grokking", "phase-transition-grokking", "alias"),
        ("visualization", "visulization", "alias"),
        ("Visulization", "visulization", "exact"),
        ("component general", "component-general", "exact"),
        ("sparse", "sparse-coding", "prefix"),
        ("halucination", "hallucination", "fuzzy"),
        ("papers", "paper-blog", "alias"),  # a word that is left out around a topic's name, and alone a name
        # a name of several words typed as one
        ("finetune", "fine-tuning", "alias"),
        ("logitlens", "embedding-projection", "alias"),
        ("sparseautoencoder", "sparse-coding", "alias"),
        ("inductionheads", "attention", "alias"),
        ("feedforward", "mlp-ffn", "alias"),
        # the start of a section's title, which also starts "section subsection" for every subsection
        ("tools/techniques", "tools-techniques-methods", "prefix"),
        ("task solving", "task-solving-function-ability", "prefix"),
    ],
)
def test_topics_resolve_by_name_alias_prefix_and_typo(topics: TopicIndex, query: str, slug: str, how: str) -> None:
    match = topics.resolve(query)
    assert match.topic is not None
    assert match.topic.slug == slug
    assert match.how == how


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("sae papers", "sparse-coding"),
        ("papers on steering", "inference-time-intervention"),
        ("Knowledge Editing papers", "knowledge-editing"),
        ("research on hallucination", "hallucination"),
        ("grokking paper", "phase-transition-grokking"),
        ("probign papers", "probing"),  # and a typo
    ],
)
def test_a_topic_asked_for_with_papers_or_research_around_it_is_that_topic(topics: TopicIndex, query: str,
                                                                          slug: str) -> None:
    """Each answered "No topic is called ..." with a search of the list instead of the topic's entries."""
    match = topics.resolve(query)
    assert match.topic is not None
    assert match.topic.slug == slug


def test_an_ambiguous_name_gives_ranked_suggestions(topics: TopicIndex) -> None:
    match = topics.resolve("general")
    assert match.topic is None
    assert match.how == "ambiguous"
    assert [t.slug for t in match.suggestions] == [
        "tools-techniques-methods-general", "task-solving-function-ability-general", "component-general",
        "feature-representation-probing-based-general",
    ]
