"""Relevance scoring and topic suggestions as the intake and `interp-bot classify` see them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalogue.yaml_io import load_catalogue
from bot.cli.classify import classify_stream
from bot.intake.relevance import DEFAULT_THRESHOLD, Label, RelevanceModel
from bot.intake.relevance.decisions import Decision
from bot.intake.relevance.scorer import Scorer
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_DIR = ROOT / "catalogue"
# Two whole listing days of the relevance corpus' stream, every paper labelled (tests/data/README.md).
STREAM_SLICE = ROOT / "tests" / "data" / "relevance" / "stream-2025-05-22-and-2025-12-09.jsonl"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE_DIR)


@pytest.fixture(scope="module")
def model(catalogue):
    return RelevanceModel.build(catalogue)


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    with STREAM_SLICE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


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


def test_a_real_days_listing_keeps_its_regression_floor(model, stream):
    """Two real listing days (429 papers, 23 in scope), title + abstract, at the shipped threshold.

    In-sample: the shipped model was trained on the whole stream these days come from, so this is a floor that
    catches a broken tokeniser, scorer or model file, not a measure of quality (`python -m benchmarks relevance`
    gives the out-of-fold figures)."""
    predicted = [model.score(r["title"], r["summary"]).relevant for r in stream]
    tp = sum(1 for r, p in zip(stream, predicted, strict=True) if p and r["label"])
    fp = sum(1 for r, p in zip(stream, predicted, strict=True) if p and not r["label"])
    positives = sum(r["label"] for r in stream)
    assert positives == 23
    assert tp / positives >= 0.85, (tp, positives)
    assert tp / (tp + fp) >= 0.85, (tp, fp)
    assert 1000 * fp / len(stream) <= 8


@pytest.mark.parametrize(("arxiv_id", "why"), [
    ("2512.05836", "LLM pipeline whose output networks experts rate for clinical interpretability"),
    ("2512.05402", "'circuits' in Bitcoin mining hardware"),
    ("2505.15774", "context compression keeping 'latent representations' of tokens"),
])
def test_papers_that_merely_use_the_fields_words_are_not_candidates(model, stream, arxiv_id, why):
    paper = next(r for r in stream if r["arxiv_id"] == arxiv_id)
    assert paper["label"] == 0
    result = model.score(paper["title"], paper["summary"])
    assert not result.relevant, (why, result.score)


def _without_gate(scorer: Scorer) -> Scorer:
    return Scorer({**scorer.model, "gate": None})


def test_a_paper_that_never_pairs_the_fields_words_with_a_language_model_takes_the_scope_gate(stream):
    """The list's scope is interpretability *of a language model*. A kernel-PCA paper says "feature" and
    "activation" but names no language model, so it takes the gate's penalty, and the explanation says so."""
    scorer = Scorer.load()
    paper = next(r for r in stream if r["arxiv_id"] == "2505.15284")
    assert scorer.gate_penalty > 0
    title, summary = paper["title"], paper["summary"]
    assert scorer.raw(title, summary) == pytest.approx(_without_gate(scorer).raw(title, summary) - scorer.gate_penalty)
    assert ("gate:no scope cue", -scorer.gate_penalty) in scorer.explain(title, summary, top=50)


def test_the_fields_words_beside_a_language_model_pass_the_gate(stream):
    """In-scope papers carry the scope cue, "mechanistic" beside "large reasoning models" included: the gate leaves
    their scores alone, and every in-scope paper of the two days passes it."""
    scorer, ungated = Scorer.load(), _without_gate(Scorer.load())
    mechanistic = next(r for r in stream if r["arxiv_id"] == "2505.15276")
    assert "Mechanistic Analysis" in mechanistic["title"]
    for r in (r for r in stream if r["label"]):
        assert scorer.raw(r["title"], r["summary"]) == ungated.raw(r["title"], r["summary"]), r["title"]
    assert scorer.score(mechanistic["title"], mechanistic["summary"]) >= scorer.threshold


def test_a_model_file_without_a_gate_scores_as_its_weights_say(stream):
    """Older model files have no "gate": they load, and no paper is penalised."""
    ungated = _without_gate(Scorer.load())
    assert ungated.gate_penalty == 0
    paper = next(r for r in stream if r["arxiv_id"] == "2505.15284")
    assert all(not name.startswith("gate:") for name, _ in ungated.explain(paper["title"], paper["summary"], top=50))


def test_scores_rank_a_days_papers(model, stream):
    """The top of a day's scores is the best of it: every in-scope paper of 2025-12-09 outranks most of the day."""
    day = [r for r in stream if r["date"] == "2025-12-09"]
    ranked = sorted(day, key=lambda r: -model.score(r["title"], r["summary"]).score)
    top = ranked[: 2 * sum(r["label"] for r in day)]
    assert sum(r["label"] for r in top) == sum(r["label"] for r in day)


def test_result_shape_scores_in_unit_interval_and_at_most_top_topics(model, catalogue):
    for title, summary in [
        ("Mechanistic interpretability of induction heads", "We study attention heads in GPT-2."),
        ("", ""),
        ("Ünïcode tïtle with ∑ symbols", "x" * 5000),
    ]:
        result = model.score(title, summary)
        assert 0.0 <= result.score <= 1.0
        assert result.relevant == (result.score >= DEFAULT_THRESHOLD)
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


def test_the_settings_default_threshold_is_the_shipped_models():
    assert Scorer.load().threshold == DEFAULT_THRESHOLD == Settings.model_fields["relevance_threshold"].default


def test_summary_can_carry_a_vague_title(model):
    title = "Looking inside"
    summary = "We train sparse autoencoders on the residual stream of GPT-2 and find monosemantic features."
    assert model.score(title, summary).score > model.score(title).score
    assert model.score(title, summary).relevant


def test_a_lesson_is_a_pure_function_of_the_decision_set(stream):
    """Leaving a decision out undoes its lesson exactly: nothing accumulates in the scorer."""
    base = Scorer.load()
    decided = [Decision(r["title"], r["summary"], bool(r["label"])) for r in stream[:6]]
    papers = [(r["title"], r["summary"]) for r in stream[6:60]]
    learned = base.with_decisions(decided)
    assert learned.score_many(papers) != base.score_many(papers)
    assert learned.with_decisions([]).score_many(papers) == base.score_many(papers)
    assert learned.with_decisions(decided[:3]).score_many(papers) == base.with_decisions(decided[:3]).score_many(papers)


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
        json.dumps({"title": "Mistral 7B", "summary": "We introduce Mistral 7B, a 7-billion-parameter language model "
                    "engineered for superior performance and efficiency."}),
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


def test_classify_answers_hostile_lines_with_errors_and_goes_on(model):
    """A line nested 100,000 deep (RecursionError), a 5,000-digit number (int's limit) and an over-long line each
    stopped classify with a traceback, the lines after them never read; a byte order mark made line 1 an error."""
    title = json.dumps({"title": "Sparse Autoencoders Find Highly Interpretable Directions"})
    lines = ["\ufeff" + title, "[" * 100_000, '{"title": "x", "n": ' + "9" * 5000 + "}",
             json.dumps({"title": "y" * 1_100_000}), title]
    out = io.StringIO()
    assert classify_stream(model, lines, out) == 3
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert results[0]["relevant"] is True and results[4] == results[0]
    assert results[1]["error"].startswith("line 2: not read (maximum recursion depth exceeded")
    assert results[2]["error"].startswith("line 3: not read (Exceeds the limit (4300 digits)")
    assert results[3]["error"] == "line 4: not read (longer than 1,000,000 characters)"
    exactly = json.dumps({"title": "Sparse autoencoders", "summary": "z" * 10})
    exactly = exactly[:-1] + " " * (1_000_000 - len(exactly)) + "}"  # 1,000,000 characters and its newline
    assert len(exactly) == 1_000_000
    assert classify_stream(model, [exactly + "\n"], io.StringIO()) == 0


def test_classify_reads_an_over_long_line_without_holding_it() -> None:
    from bot.cli.classify import bounded_lines

    stream = io.StringIO("a" * 25 + "\n" + "b" * 3 + "\n" + "c" * 40)
    assert list(bounded_lines(stream, limit=10)) == ["a" * 11, "bbb\n", "c" * 11]


def test_classify_explains_a_score_when_asked(model, stream):
    """`classify --explain`: each result says what moved its score, the scope gate included; plain `classify`
    output is unchanged."""
    gated = next(r for r in stream if r["arxiv_id"] == "2505.15284")  # kernel PCA: no language model
    lines = [json.dumps({"title": gated["title"], "summary": gated["summary"]}),
             json.dumps({"title": "Sparse Autoencoders Find Highly Interpretable Directions in Language Models"})]
    plain, explained = io.StringIO(), io.StringIO()
    assert classify_stream(model, lines, plain) == 0
    assert classify_stream(model, lines, explained, explain=True) == 0
    plain_results = [json.loads(line) for line in plain.getvalue().splitlines()]
    results = [json.loads(line) for line in explained.getvalue().splitlines()]
    assert all("why" not in r for r in plain_results)
    assert [{k: v for k, v in r.items() if k != "why"} for r in results] == plain_results
    gate = {"feature": "gate:no scope cue", "log_odds": -model.scorer.gate_penalty}
    assert gate in results[0]["why"]
    assert gate not in results[1]["why"]
    sae = results[1]["why"]
    assert sae[0]["log_odds"] > 0 and any("sparse" in w["feature"] for w in sae), sae
    assert [abs(w["log_odds"]) for w in sae] == sorted((abs(w["log_odds"]) for w in sae), reverse=True)


def test_classify_runs_on_the_standard_library_alone(catalogue_dir: Path, tmp_path: Path):
    """The runtime never imports the training extra (scikit-learn, numpy, scipy)."""
    code = ("import io, sys; sys.stdin = io.StringIO(sys.argv[2]); from bot.cli import main; "
            "code = main(['--catalogue', sys.argv[1], '--db', 'sqlite:///' + sys.argv[3], 'classify']); "
            "print('HEAVY', [m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules]); sys.exit(code)")
    line = json.dumps({"title": "Steering vectors in the residual stream of Llama", "summary": ""})
    result = subprocess.run([sys.executable, "-c", code, str(catalogue_dir), line, str(tmp_path / "none.db")],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["relevant"] is True
    assert "HEAVY []" in result.stdout


def test_an_approval_still_places_papers_after_its_topic_is_renamed(catalogue_dir: Path):
    """A maintainer renames a topic's slug, keeping the old one among its aliases (docs/github.md): the approvals filed
    under the old slug used to be dropped from the topic suggestions, as if never made."""
    title = "Tracing tokenization artefacts through the embedding matrix of GPT-2"
    approved = [
        Label("Tokenization artefacts in the embedding matrix of Pythia", "", relevant=True, topic="visulization"),
        Label("Glitch tokens and the embedding matrix of GPT-J", "", relevant=True, topic="visulization"),
    ]
    for path in catalogue_dir.glob("*.yaml"):  # the topic and its entries
        path.write_text(path.read_text(encoding="utf-8").replace("visulization", "visualisation"), encoding="utf-8")
    topics = catalogue_dir / "topics.yaml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text.replace("aliases: [visualization,", "aliases: [visulization, visualization,"),
                      encoding="utf-8")
    renamed = load_catalogue(catalogue_dir)
    filed_as_now = [Label(a.title, a.summary, a.relevant, "visualisation") for a in approved]
    after = RelevanceModel.build(renamed, approved).score(title).topics
    assert after[0].slug == "visualisation"
    assert after == RelevanceModel.build(renamed, filed_as_now).score(title).topics


def test_classify_says_what_is_wrong_with_a_line(model):
    """An array, a number or a title that is not text was answered "no title", sending people looking for a field
    that was there."""
    lines = ['["Sparse autoencoders"]', '"Sparse autoencoders"', "42", '{"title": 2024}', '{"title": {"en": "SAEs"}}',
             '{"title": ""}', '{"summary": "x"}', '{"title": "x", "summary": 5}']
    out = io.StringIO()
    assert classify_stream(model, lines, out) == len(lines)
    assert [json.loads(line)["error"] for line in out.getvalue().splitlines()] == [
        "line 1: not a JSON object", "line 2: not a JSON object", "line 3: not a JSON object",
        "line 4: title is not text", "line 5: title is not text", "line 6: no title", "line 7: no title",
        "line 8: summary is not text"]


def test_classify_reads_an_abstract_as_the_summary(model):
    """The store calls it "abstract": a line that did was scored on its title alone, without a word said."""
    title = "Emergent structure in a small language model"
    summary = ("We train sparse autoencoders on the residual stream and find interpretable features, then use "
               "activation patching to trace the circuit that carries them.")
    scored = []
    for line in ({"title": title, "summary": summary}, {"title": title, "abstract": summary}, {"title": title},
                 {"title": title, "abstract": 5}):
        out = io.StringIO()
        classify_stream(model, [json.dumps(line)], out)
        scored.append(json.loads(out.getvalue()))
    assert scored[1] == scored[0] != scored[2]
    assert scored[3] == {"error": "line 1: abstract is not text"}
