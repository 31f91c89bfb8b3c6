"""The /interp grammar: what a reader types and the neutral reply they get back."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue.service import CatalogueService
from bot.chat.text import render_text
from bot.chat.values import Actor
from bot.commands import Commands


@pytest.fixture
def commands(catalogue_dir: Path) -> Commands:
    return Commands(CatalogueService(catalogue_dir), page_size=5)


def test_topic_lists_the_section_with_links(commands: Commands) -> None:
    reply = commands.execute("topic probing")
    assert reply.kind == "result"
    assert reply.title == "Probing"
    assert reply.items[0].title == "Enhancing Neural Network Transparency through Representation Analysis (RepE)"
    assert [link.label for link in reply.items[0].links] == ["arxiv 2310", "openreview"]
    text = render_text(reply)
    assert "https://arxiv.org/abs/2310.01405" in text


def test_slash_prefix_aliases_and_case_are_accepted(commands: Commands) -> None:
    assert commands.execute("/interp TOPIC sae").title == "Sparse Coding"
    assert commands.execute("t logit lens").title == "Embedding Projection"


def test_long_answers_page_instead_of_being_cut(commands: Commands) -> None:
    first = commands.execute("topic component")
    assert first.pages == 3
    assert first.page == 1
    assert len(first.items) == 5
    assert "page 1/3 · `topic component --page 2` for more" in render_text(first)
    second = commands.execute("topic component --page 2")
    assert second.page == 2
    assert second.items[0].title != first.items[0].title
    last = commands.run("topic", "component", page=99)
    assert last.page == last.pages == 3
    seen = [i.title for p in (1, 2, 3) for i in commands.run("topic", "component", page=p).items]
    assert len(seen) == len(set(seen)) == 12  # 13 placements, induction heads counted once


def test_ambiguous_and_unknown_topics_suggest(commands: Commands) -> None:
    reply = commands.execute("topic general")
    assert reply.kind == "not_found"
    assert len(reply.items) == 4
    assert all(item.ref.endswith("general") for item in reply.items)
    unknown = commands.execute("topic quantum chromodynamics")
    assert unknown.kind == "not_found"
    assert "topics" in unknown.text


def test_search_paper_topics_recent_help(commands: Commands) -> None:
    assert commands.execute("search ROME").items[0].title.startswith("Locating and Editing Factual Associations")
    paper = commands.execute("paper tuned lens")
    assert paper.kind == "result"
    assert "Tuned Lens" in paper.title
    assert any(f.name == "Topics" and "Embedding Projection" in f.value for f in paper.fields)
    topics = commands.execute("topics")
    assert topics.pages > 1
    assert topics.items[0].title.startswith("Tutorial")
    assert commands.execute("recent").kind == "info"
    help_reply = commands.execute("help")
    assert help_reply.kind == "help"
    assert "`topic NAME`" in help_reply.text
    assert commands.execute("help search").kind == "usage"


@pytest.mark.parametrize("line", ["", "topic", "search", "paper", "recent many", "frobnicate now"])
def test_bad_commands_get_usage_help(commands: Commands, line: str) -> None:
    reply = commands.execute(line)
    assert reply.kind in ("usage", "help")
    assert "Usage: `" in reply.text or "`topic NAME`" in reply.text


def test_a_close_misspelling_of_a_command_is_suggested(commands: Commands) -> None:
    assert "Did you mean `topic probing`?" in commands.execute("topc probing").text
    assert "Did you mean `topic sparse-coding`?" in commands.execute("sae").text


@pytest.mark.parametrize(
    "hostile",
    ["@everyone", "<!channel>", "[x](javascript:alert(1))", "`rm -rf`", "\x1b[2J\x07", "é" * 10_000, "\u202e"],
)
def test_hostile_queries_are_echoed_inert(commands: Commands, hostile: str) -> None:
    reply = commands.execute(f"search {hostile}")
    text = render_text(reply)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\u202e" not in text
    assert "`rm -rf`" not in text  # a query cannot open or close a code span
    assert len(text) < 3_000


@pytest.mark.parametrize("command", ["search", "paper", "topic"])
def test_a_pasted_paragraph_is_not_repeated_whole_in_the_answer(commands: Commands, command: str) -> None:
    """A query is read up to its first 200 characters, but an answer repeated all of it (up to 1,000): a pasted
    abstract filled the reply's first lines, above what the reply had to say."""
    pasted = " ".join(["zqxw"] * 190)  # 949 characters, no entry
    reply = commands.execute(f"{command} {pasted}")
    assert reply.kind == "not_found"
    assert len(reply.title) < 140
    assert reply.title.endswith("…”")
    assert pasted not in render_text(reply)


def test_maintainer_only_commands_refuse_others(commands: Commands) -> None:
    from bot.chat.values import Reply
    from bot.commands import CommandSpec

    commands.register(CommandSpec("approve", "approve ID", "x", ("approve 1",), lambda r: Reply(title="done"),
                                  maintainers_only=True))
    reader = Actor("discord", "1", is_maintainer=False)
    assert commands.execute("approve 1", actor=reader).kind == "error"
    assert commands.execute("approve 1", actor=Actor("console", "me", is_maintainer=True)).title == "done"


# ------------------------------------------------------------------ paper: the paper asked for, or clearly none

CAA = "Steering Llama 2 via Contrastive Activation Addition"
IOI = "Interpretability in the wild: a circuit for indirect object identification in GPT-2 small"
KEY_VALUE = "Transformer Feed-Forward Layers Are Key-Value Memories"
OPEN_PROBLEMS = "Concrete Open Problems in Mechanistic Interpretability: Neel Nanda at SERI MATS"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("2303.08112", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        ("2312.06681", CAA),
        ("2312.06681v2", CAA),
        ("arXiv:2312.06681", CAA),
        ("https://arxiv.org/abs/2312.06681", CAA),
        ("https://arxiv.org/pdf/2312.06681v1.pdf", CAA),
        ("https://arxiv.org/html/2312.06681v1", CAA),
        ("2310.01405", "Enhancing Neural Network Transparency through Representation Analysis"),
        ("https://arxiv.org/abs//2309.15025", "Large Language Model Alignment: A Survey"),
        ("NpsVSN6o4ul", "Interpretability in the wild: a circuit for indirect object identification in GPT-2 small"),
        ("https://openreview.net/pdf?id=NpsVSN6o4ul",
         "Interpretability in the wild: a circuit for indirect object identification in GPT-2 small"),
        ("10.1145/3639372", "Explainability for Large Language Models: A Survey"),
        ("https://doi.org/10.48550/arXiv.2305.13417",
         "Interpreting Transformer's Attention Dynamic Memory and Visualizing the Semantic Information Flow of GPT"),
        ("2023.emnlp-main.751", "Dissecting Recall of Factual Associations in Auto-Regressive Language Models"),
        ("https://aclanthology.org/2023.emnlp-main.751.pdf",
         "Dissecting Recall of Factual Associations in Auto-Regressive Language Models"),
        ("https://github.com/kmeng01/rome", "Locating and Editing Factual Associations in GPT"),
        # arXiv ids the list gives beside a venue link (`arxiv:`, from other curated lists: catalogue/SCHEMA.md)
        ("2202.05262", "Locating and Editing Factual Associations in GPT"),
        ("https://arxiv.org/pdf/2211.00593v2",
         "Interpretability in the wild: a circuit for indirect object identification in GPT-2 small"),
        # as references are written, and the paper pages readers copy links from
        ("arXiv: 2202.05262", "Locating and Editing Factual Associations in GPT"),
        ("doi: 10.1145/3639372", "Explainability for Large Language Models: A Survey"),
        ("https://huggingface.co/papers/2202.05262", "Locating and Editing Factual Associations in GPT"),
        ("https://www.alphaxiv.org/abs/2312.06681v2", CAA),
        ("https://www.alphaxiv.org/overview/2312.06681", CAA),
        ("https://www.semanticscholar.org/arxiv/2303.08112",
         "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        # the list links LessWrong; the Alignment Forum and GreaterWrong serve the same post under the same id
        ("https://www.alignmentforum.org/posts/AcKRB8wDpdaN6v6ru/interpreting-gpt-the-logit-lens",
         "interpreting GPT: the logit lens"),
        ("https://www.greaterwrong.com/posts/AcKRB8wDpdaN6v6ru", "interpreting GPT: the logit lens"),
        ("lesswrong.com/posts/AcKRB8wDpdaN6v6ru/a-renamed-slug", "interpreting GPT: the logit lens"),
        # pasted from running text: each said "not on the list" for every one of the list's arXiv ids
        ("arXiv 2303.08112", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        ("2303.08112.", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        ("(2303.08112)", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        ("[arXiv:2303.08112],", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        ("“2202.05262”", "Locating and Editing Factual Associations in GPT"),
        ("(https://arxiv.org/abs/2202.05262).", "Locating and Editing Factual Associations in GPT"),
        ("doi 10.1145/3639372", "Explainability for Large Language Models: A Survey"),
        # the DOI an ACL paper prints, for the Anthology page the list links
        ("10.18653/v1/2023.acl-long.893", "Analyzing Transformers in Embedding Space"),
        ("https://doi.org/10.18653/v1/2023.findings-acl.895",
         "On the Expressivity Role of LayerNorm in Transformers' Attention"),
        # as arXiv prints it: "Cite as:" on the abstract page, and down the margin of the PDF
        ("arXiv:2303.08112 [cs.LG]", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        ("arXiv:2202.05262v5 [cs.CL] 13 Jan 2023", "Locating and Editing Factual Associations in GPT"),
        # YouTube's share button and a link to a moment of the video the list links as watch?v=
        ("https://youtu.be/2Rdp9GvcYOE?si=x",
         "Chris Olah - Looking Inside Neural Networks with Mechanistic Interpretability"),
        ("https://m.youtube.com/watch?v=2Rdp9GvcYOE&t=10s",
         "Chris Olah - Looking Inside Neural Networks with Mechanistic Interpretability"),
        # the PDF, and the old host, of a NeurIPS paper the list links by its abstract page
        ("https://proceedings.neurips.cc/paper_files/paper/2022/file/6f1d43d5a82a37e89b0665b33bf3a182-Paper-Conference.pdf",
         "Locating and Editing Factual Associations in GPT"),
        ("https://papers.nips.cc/paper_files/paper/2022/hash/6f1d43d5a82a37e89b0665b33bf3a182-Abstract-Conference.html",
         "Locating and Editing Factual Associations in GPT"),
        # a repository's clone URL and its branch page; a profile link without its language parameter
        ("https://github.com/neelnanda-io/TransformerLens.git", "TransformerLens"),
        ("github.com/kmeng01/rome/tree/main", "Locating and Editing Factual Associations in GPT"),
        ("https://scholar.google.com/citations?user=LKv32bgAAAAJ", "Jacob Steinhardt"),
        ("https://scholar.google.com/citations?user=LKv32bgAAAAJ&hl=de&utm_source=x", "Jacob Steinhardt"),
        # the ACL Anthology's old host, which older papers and pages still cite (it redirects to aclanthology.org):
        # each answered "No entry links to"
        ("https://www.aclweb.org/anthology/2021.emnlp-main.446.pdf", KEY_VALUE),
        ("https://aclweb.org/anthology/2023.emnlp-main.751/",
         "Dissecting Recall of Factual Associations in Auto-Regressive Language Models"),
        # ar5iv's short host, beside the ar5iv.labs.arxiv.org one
        ("https://ar5iv.org/abs/2303.08112", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
    ],
)
def test_paper_finds_an_entry_by_any_form_of_its_links(commands: Commands, query: str, title: str) -> None:
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "result", render_text(reply)
    assert reply.title == title


@pytest.mark.parametrize("query", ["2303.08112", "https://arxiv.org/pdf/2312.06681v1.pdf", "10.1145/3639372",
                                   "(2303.08112)", "arXiv 2303.08112"])
def test_search_finds_an_entry_by_its_link(commands: Commands, query: str) -> None:
    reply = commands.execute(f"search {query}")
    assert len(reply.items) == 1
    assert commands.execute(f"paper {query}").title in reply.items[0].title


@pytest.mark.parametrize(
    ("query", "closest"),
    [
        ("toy models of superposition", "A Toy Model of Universality"),  # not on the list
        ("Scaling Monosemanticity", "Towards monosemanticity"),  # not on the list either
        ("MEMIT", "Locating and Editing Factual Associations in GPT"),  # ROME's sequel is not listed
        # references to papers the list does not hold, beside an author or a venue that it does
        ("Elhage N, et al. Toy Models of Superposition. Transformer Circuits Thread, 2022.",
         "Transformer Circuits Thread"),
        ("Toy Models of Superposition | Transformer Circuits Thread", "Transformer Circuits Thread"),
        ("Neel Nanda. Attribution Patching: Activation Patching At Industrial Scale. 2023.",
         "Towards Best Practices of Activation Patching"),
    ],
)
def test_paper_not_on_the_list_says_so_and_offers_the_closest(commands: Commands, query: str, closest: str) -> None:
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "not_found"
    assert reply.title == f"No entry is titled “{query}”"
    assert any(item.title.startswith(closest) for item in reply.items)


def test_a_paper_found_by_its_arxiv_id_shows_the_arxiv_link(commands: Commands) -> None:
    reply = commands.execute("paper arXiv:2202.05262")
    assert reply.title == "Locating and Editing Factual Associations in GPT"
    assert "(found by its arXiv id)" in reply.text
    assert "(found by its arXiv id)" in commands.execute("paper arXiv 2202.05262").text  # as references write it
    assert ("arXiv", "https://arxiv.org/abs/2202.05262") in [(f.name, f.value) for f in reply.fields]
    assert commands.execute("search 2202.05262").items[0].title.startswith("Locating and Editing")


# arXiv ids from the real cs.CL listing of 2024-11-28 (tests/data/feeds), a DOI and a host: none is on the list.
@pytest.mark.parametrize("query", ["2411.17700", "https://arxiv.org/abs/2411.17701v2", "arXiv:2411.17702",
                                   "10.1145/3639999", "doi:10.1145/3639999", "openreview.net",
                                   "https://openreview.net/forum?id=notAnEntry1", "arXiv:2411.17700 [cs.CL]"])
def test_a_link_no_entry_has_is_not_called_missing(commands: Commands, query: str) -> None:
    """Many entries link only their venue page: an arXiv id the list lacks does not mean the paper is not on it,
    and the words of a URL would only find unrelated entries."""
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "not_found"
    assert reply.title == f"No entry links to “{query}”"
    assert "not on the list" not in render_text(reply)
    assert reply.items == ()
    assert "`search` with a few words of its title" in reply.text
    searched = commands.execute(f"search {query}")
    assert (searched.kind, searched.items) == ("not_found", ())
    assert "`search` with a few words of its title" in searched.text


@pytest.mark.parametrize("query", ["gpt-3.5", "llama2.0", "RLHF/DPO"])
def test_version_numbers_and_slashed_words_are_words_not_links(commands: Commands, query: str) -> None:
    reply = commands.execute(f"paper {query}")
    assert reply.title == f"No entry is titled “{query}”"


def test_paper_by_words_of_exactly_one_title(commands: Commands) -> None:
    reply = commands.execute("paper tuned lens")
    assert reply.title == "Eliciting Latent Predictions from Transformers with the Tuned Lens"
    # a phrase of the title in its order, with its acronym, or its first words: how readers shorten a title
    for query, title in [("what is the tuned lens", reply.title), ("key-value memory", KEY_VALUE),
                         ("IOI gpt-2 small", IOI), ("indirect object identification", IOI),
                         ("Concrete Open Problems in Mechanistic", OPEN_PROBLEMS)]:
        assert commands.execute(f"paper {query}").title == title, query
    assert commands.execute("paper grokking").kind == "not_found"  # two titles hold the word: the reader picks


def test_a_word_two_titles_hold_in_its_plural_names_neither(commands: Commands) -> None:
    """`paper memory` answered "Interpreting Transformer's Attention Dynamic Memory..." as the one title holding the
    word, though "Transformer Feed-Forward Layers Are Key-Value Memories" holds it too."""
    reply = commands.execute("paper memory")
    assert reply.kind == "not_found"
    assert "Transformer Feed-Forward Layers Are Key-Value Memories" in [item.title for item in reply.items]
    assert commands.execute("paper key-value memory").title == "Transformer Feed-Forward Layers Are Key-Value Memories"


@pytest.mark.parametrize("query", ["n", "%s%n", "of a", "a b"])
def test_a_letter_or_two_never_names_a_paper(commands: Commands, query: str) -> None:
    """`paper n` answered "Neurons in Large Language Models: Dead, N-gram, Positional (found by its title words)"."""
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "not_found"
    assert reply.title == f"No entry is titled “{query}”"


@pytest.mark.parametrize(
    "query",
    [
        "Steering Llama 3 via Contrastive Activation Addition",
        "Steering Llama3 via Contrastive Activation Addition",  # "llama3" is a near spelling of "llama"
        "Vision Language Models Represent Space and Time",
        "Interpretability in the wild: a circuit for indirect object identification in GPT-2 medium",
        "Sparse Autoencoders Find Highly Interpretable Features in Protein Language Models",
    ],
)
def test_a_listed_title_with_another_word_is_another_paper(commands: Commands, query: str) -> None:
    """Each was answered with the listed paper one word away, "(found by its typo)": a typo forgives misspellings,
    not a different model, modality or size."""
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "not_found"
    assert reply.title == f"No entry is titled “{query}”"


# Real titles of papers the list does not hold (the relevance corpus, ../shared/relevance-corpus/positives.jsonl),
# each made of words that only one listed title has: each was answered with that entry "(found by its title words)".
@pytest.mark.parametrize(
    ("query", "listed"),
    [
        # 1906.03731; the words stand in "Successor Heads: Recurring, Interpretable Attention Heads ..." the other
        # way round
        ("Is Attention Interpretable?", "Successor Heads: Recurring, Interpretable Attention Heads In The Wild"),
        # 2501.16496 (Sharkey et al.), not Neel Nanda's post: the listed title with its first word dropped
        ("Open Problems in Mechanistic Interpretability", "Concrete Open Problems in Mechanistic Interpretability"),
        # the first words of 2402.08631 ("Knowledge Editing on Black-box Large Language Models") and of 2404.01903
        # ("Activation Steering for Robust Type Prediction in CodeLLMs"): the listed titles hold them apart and in
        # another order
        ("Knowledge Editing", "Inspecting and Editing Knowledge Representations in Language Models"),
        ("Activation Steering", "Steering Llama 2 via Contrastive Activation Addition"),
    ],
)
def test_another_paper_s_title_made_of_a_listed_title_s_words_is_not_that_paper(commands: Commands, query: str,
                                                                                 listed: str) -> None:
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "not_found", render_text(reply)
    assert reply.title == f"No entry is titled “{query}”"
    assert reply.items[0].title.startswith(listed)  # still offered first, for the reader to judge


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Progres measures for groking via mechanistic interpretabilty",
         "Progress measures for grokking via mechanistic interpretability"),
        ("Copy Suppression: Comprehensively Understanding a Attention Head",
         "Copy Suppression: Comprehensively Understanding an Attention Head"),
        ("Undrestanding Addition in Transformer", "Understanding Addition in Transformers"),
        # two of the title's words written as one: found before the word check, "not titled" after it
        ("Transformer Feedforward Layers Are Key-Value Memories",
         "Transformer Feed-Forward Layers Are Key-Value Memories"),
        ("Eliciting Latent Predictions from Transformers with the TunedLens",
         "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
        # ...where the joined word sorts elsewhere among the title's words than its two halves did: each answered
        # "No entry is titled" (the typo match compared the words in alphabetical order)
        ("Dissecting Recall of Factual Associations in Autoregressive Language Models",
         "Dissecting Recall of Factual Associations in Auto-Regressive Language Models"),
        ("Incontext Learning Creates Task Vectors", "In-Context Learning Creates Task Vectors"),
        ("Interpreting GPT: the logitlens", "interpreting GPT: the logit lens"),
        # ...and so does a word whose first letters are mistyped
        ("Transformer Circuits Trhead", "Transformer Circuits Thread"),
    ],
)
def test_a_misspelled_title_still_finds_its_paper(commands: Commands, query: str, title: str) -> None:
    assert commands.execute(f"paper {query}").title == title


@pytest.mark.parametrize("tail", ["(Nanda et al., 2023)", "[ICLR 2023]", "(2023)", "2023", ", ICLR 2023",
                                  ", ICLR 2023.", "arXiv:2301.05217", ", arXiv: 2301.05217v3"])
def test_a_title_pasted_with_its_reference_finds_the_paper(commands: Commands, tail: str) -> None:
    title = "Progress measures for grokking via mechanistic interpretability"
    assert commands.execute(f"paper {title} {tail}").title == title


@pytest.mark.parametrize("reference", ["Meng et al., Locating and Editing Factual Associations in GPT, NeurIPS 2022",
                                       "Meng et al. (2022). Locating and Editing Factual Associations in GPT.",
                                       "Locating and editing factual associations arXiv:2202.05262"])
def test_a_reference_as_people_write_it_finds_the_paper(commands: Commands, reference: str) -> None:
    assert commands.execute(f"paper {reference}").title == "Locating and Editing Factual Associations in GPT"


ROME = "Locating and Editing Factual Associations in GPT"
GROKKING = "Progress measures for grokking via mechanistic interpretability"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        # a whole reference, as Google Scholar's "Cite" gives it (APA, Vancouver, IEEE) or a paper's bibliography
        ("Meng, K., Bau, D., Andonian, A., & Belinkov, Y. (2022). Locating and editing factual associations in GPT. "
         "Advances in Neural Information Processing Systems, 35, 17359-17372.", ROME),
        ("Meng K, Bau D, Andonian A, Belinkov Y. Locating and editing factual associations in GPT. NeurIPS. 2022",
         ROME),
        ('K. Meng, D. Bau, A. Andonian, and Y. Belinkov, "Locating and editing factual associations in GPT," in '
         "NeurIPS, 2022.", ROME),
        ("Olsson C, et al. In-context learning and induction heads. Transformer Circuits Thread, 2022.",
         "In-context learning and induction heads"),
        # a browser tab's or bookmark's title: arXiv's, OpenReview's, the ACL Anthology's
        (f"[2301.05217] {GROKKING}", GROKKING),
        ("[2310.15213] Function Vectors in Large Language Models",  # the id names it, the title is its later one
         "LLMs Represent Contextual Tasks as Compact Function Vectors"),
        (f"{GROKKING} | OpenReview", GROKKING),
        ("Dissecting Recall of Factual Associations in Auto-Regressive Language Models - ACL Anthology",
         "Dissecting Recall of Factual Associations in Auto-Regressive Language Models"),
        # a talk's title without its speaker
        ("Looking Inside Neural Networks with Mechanistic Interpretability",
         "Chris Olah - Looking Inside Neural Networks with Mechanistic Interpretability"),
        # "the ... paper", as people name one
        ("the ROME paper", ROME),
        ("tuned lens paper", "Eliciting Latent Predictions from Transformers with the Tuned Lens"),
    ],
)
def test_a_title_among_what_a_reference_or_tab_puts_around_it_finds_the_paper(commands: Commands, query: str,
                                                                              title: str) -> None:
    """Each answered "No entry is titled": the authors, venue or site name around the title were read as its words."""
    assert commands.execute(f"paper {query}").title == title


def test_a_title_no_entry_has_does_not_claim_the_paper_is_missing(commands: Commands) -> None:
    """"Function Vectors in Large Language Models" is 2310.15213's published title; the list holds its arXiv v1
    title. The bot cannot know that, so it says no entry has the title, not that the paper is not listed."""
    reply = commands.execute("paper Function Vectors in Large Language Models")
    assert reply.title == "No entry is titled “Function Vectors in Large Language Models”"
    assert "not on the list" not in render_text(reply)
    assert "listed under another title" in reply.text
    listed = commands.execute("paper arXiv:2310.15213")
    assert listed.kind != "not_found"
    assert any(item.title.startswith(listed.title) for item in reply.items)  # among the closest


@pytest.mark.parametrize(
    ("acronym", "title"),
    [
        ("IOI", "Interpretability in the wild: a circuit for indirect object identification in GPT-2 small"),
        ("ACDC", "Towards Automated Circuit Discovery for Mechanistic Interpretability"),
        ("RepE", "Enhancing Neural Network Transparency through Representation Analysis"),
        ("CAA", CAA),
        ("ITI", "Inference-Time Intervention: Eliciting Truthful Answers from a Language Model"),
        ("DAS", "Finding Alignments Between Interpretable Causal Variables and Distributed Neural Representations"),
        ("ROME", "Locating and Editing Factual Associations in GPT"),
    ],
)
def test_acronyms_name_their_paper_and_outrank_topic_aliases(commands: Commands, acronym: str, title: str) -> None:
    assert commands.execute(f"paper {acronym}").title == title
    # IOI, ACDC, CAA, ITI and DAS are also aliases of the topics these papers stand under: the paper comes first.
    assert commands.execute(f"search {acronym}").items[0].title.startswith(title)


# ------------------------------------------------------------------ topic: nicknames, questions, neighbours

@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("crosscoders", "Sparse Coding"), ("causal scrubbing", "Causal Intervention"), ("elk", "General"),
        ("ccs", "General"), ("world models", "Linearity"), ("othello", "Linearity"), ("feature attribution", "Survey"),
        ("integrated gradients", "Survey"), ("automated interpretability", "Automation"),
        ("refusal", "Inference-Time Intervention"), ("attribution graphs", "Automation"),
        ("knowledge neurons", "Factual Knowledge"),
    ],
)
def test_the_fields_nicknames_name_topics(commands: Commands, query: str, topic: str) -> None:
    reply = commands.execute(f"topic {query}")
    assert reply.kind == "result"
    assert reply.title == topic


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mech interp", "Mechanistic Interpretability Quickstart Guide"),
        ("mechanistic interpretability", "Mechanistic Interpretability Quickstart Guide"),
        ("interp", "Neuron to Graph: Interpreting Language Model Neurons at Scale (N2G)"),
        ("how do LLMs store facts", "Summing Up the Facts: Additive Mechanisms behind Factual Recall in LLMs"),
        ("sparse probing", "Finding Neurons in a Haystack: Case Studies with Sparse Probing"),
    ],
)
def test_no_topic_answers_with_what_the_list_holds(commands: Commands, query: str, expected: str) -> None:
    reply = commands.execute(f"topic {query}")
    assert reply.title == f"No topic is called “{query}”"
    assert "from a search of the list" in reply.text
    assert expected in [item.title for item in reply.items]


def test_did_you_mean_only_when_close(commands: Commands) -> None:
    cafe = render_text(commands.execute("topic café"))
    assert "Inference-Time Intervention" not in cafe
    assert "Did you mean" not in cafe
    assert "Nothing on the list matches “café”" in cafe
    assert commands.execute("topic probign").title == "Probing"
    assert commands.execute("topic mechanistic interpretability").title != "Automation"


# Two adjacent letters swapped are one slip, as a letter dropped is; rapidfuzz's Indel ratio counted two edits, so a
# short word with a swap fell under every threshold: "topic roem" answered "Nothing on the list matches".
@pytest.mark.parametrize(("query", "topic"), [("roem", "Knowledge Editing"), ("lesn", "Embedding Projection"),
                                              ("mtah", "Arithmetic Ability")])
def test_a_short_name_with_two_letters_swapped_is_its_topic(commands: Commands, query: str, topic: str) -> None:
    reply = commands.execute(f"topic {query}")
    assert reply.kind == "result"
    assert reply.title == topic
    assert f"(matched “{query}”)" in render_text(reply)


def test_three_letters_with_two_swapped_are_read_as_typed(commands: Commands) -> None:
    # "sea" is a word, not the alias "sae" mistyped (bot.catalogue.typos.MIN_SWAP)
    assert commands.execute("topic sea").title == "No topic is called “sea”"


@pytest.mark.parametrize(("query", "title"), [("Daivd Bau", "David Bau"), ("bauikt", "baukit"),
                                              ("Lessrwong", "Lesswrong")])
def test_a_short_title_with_two_letters_swapped_finds_its_entry(commands: Commands, query: str, title: str) -> None:
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "result"
    assert reply.title == title


def test_an_acronym_with_two_letters_swapped_is_offered_first(commands: Commands) -> None:
    # four letters: too short to be called ROME mistyped, but the nearest thing the list holds
    reply = commands.execute("paper roem")
    assert reply.kind == "not_found"
    assert reply.title == "No entry is titled “roem”"
    assert reply.items[0].title.startswith("Locating and Editing Factual Associations in GPT")


@pytest.mark.parametrize(("query", "title"), [
    ("sacle", "Interpretability at Scale: Identifying Causal Mechanisms in Alpaca"),  # was "... Embedding Space"
    ("thougth", "How Large Language Models Implement Chain-of-Thought?"),  # was "... through Representation ..."
])
def test_search_reads_a_word_with_two_letters_swapped_as_that_word(commands: Commands, query: str,
                                                                    title: str) -> None:
    assert commands.execute(f"search {query}").items[0].title.startswith(title)


def field(reply: object, name: str) -> str:
    return next((f.value for f in reply.fields if f.name == name), "")  # type: ignore[attr-defined]


def test_a_topic_answer_ends_with_related_sections_and_entries_elsewhere(commands: Commands) -> None:
    probing = commands.execute("topic probing")
    assert "Feature Representation/Probing-based · 9 entries" in field(probing, "Related sections")
    assert "Finding Neurons in a Haystack: Case Studies with Sparse Probing — Neuron" in field(probing, "See also")
    circuits = commands.execute("topic circuits")
    assert circuits.title == "Function"
    assert "🌟 A mathematical framework for transformer circuits — Tools/Techniques/Methods › General" in \
        field(circuits, "See also")
    text = render_text(probing)
    assert text.index("Enhancing Neural Network Transparency") < text.index("Related sections:")


def test_a_word_typed_whole_does_not_find_what_only_half_of_it_starts(commands: Commands) -> None:
    """"finetune" is the list's "fine-tune"; its "tune" is not the start of "tuned": `search finetune` and
    `topic finetune` brought up the Tuned Lens and the logit lens."""
    for line in ("search finetune", "topic finetune"):
        text = render_text(commands.execute(line))
        assert "Mechanistically analyzing the effects of fine-tuning" in text, line
        assert "Tuned Lens" not in text and "logit lens" not in text and "Embedding Projection" not in text, line


def test_a_search_hit_found_only_by_its_topics_alias_says_so(commands: Commands) -> None:
    """No Linearity paper says "Othello", no survey "saliency": the answer said nothing of why they came up."""
    othello = commands.execute("search othello")
    assert othello.items and all(item.detail.endswith("Linearity · found by “othello”, an alias of Linearity")
                                 for item in othello.items)
    assert "· found by “saliency”, an alias of Survey" in render_text(commands.execute("search saliency"))
    steering = {item.title: item.detail for item in commands.execute("search steering").items}
    assert steering["Steering Llama 2 via Contrastive Activation Addition (CAA)"].endswith(
        "Inference-Time Intervention")  # its title says "steering": no reason to give
    assert steering["Inference-Time Intervention: Eliciting Truthful Answers from a Language Model (ITI)"].endswith(
        "found by “steering”, an alias of Inference-Time Intervention")


# ------------------------------------------------------------------ help, paging

def test_help_for_an_unknown_command_says_so(commands: Commands) -> None:
    reply = commands.execute("help nosuch")
    assert reply.title == "Unknown command “nosuch”"
    assert "`topic NAME`" in reply.text


def test_help_on_a_command_is_about_its_first_word(commands: Commands) -> None:
    """`help topic probing` (as people copy a command line) used to answer "Unknown command 'topic probing'"."""
    for line in ("help  topic  probing", "help /topic", "help TOPIC extra words"):
        reply = commands.execute(line)
        assert reply.title == "help: topic", line
        assert "`topic NAME`" in render_text(reply)


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("search induction heads --limit 3", "search has no --limit option"),  # used to search for "--limit 3"
        ("topics --page abc", "--page takes a page number from 1 to 9999, e.g. --page 2"),  # showed page 1
        ("search sae --page 99999999999999999999", "--page takes a page number from 1 to 9999, e.g. --page 2"),
        ("topic probing --page -1", "--page takes a page number from 1 to 9999, e.g. --page 2"),
        ("search --help", "help: search"),
        ("paper -h", "help: paper"),
    ],
)
def test_an_option_a_command_does_not_take_gets_its_usage(commands: Commands, line: str, title: str) -> None:
    reply = commands.execute(line)
    assert (reply.kind, reply.title) == ("usage", title)


def test_page_may_come_anywhere_and_a_page_past_the_end_says_so(commands: Commands) -> None:
    before, after = commands.execute("search --page 2 language models"), commands.execute("search language models p2")
    assert before.page == after.page == 2
    assert before.items == after.items
    last = commands.execute("topics --page 99")
    assert last.page == last.pages < 99
    assert last.footer.endswith(f"page {last.pages}/{last.pages} (there is no page 99)")
    only = commands.execute("search induction heads --page 5")  # one page of results: said all the same
    assert only.footer.endswith("page 1/1 (there is no page 5)")
    # What a slash command's text option carries reaches `run` whole: --page there is a page, not a usage error.
    assert commands.run("search", "language models --page 2").page == 2


@pytest.mark.parametrize("line", ["topic probing --page 0", "topic probing page 0", "search sae p 0", "topics 0"])
def test_page_zero_is_a_usage_error_not_page_one(commands: Commands, line: str) -> None:
    reply = commands.execute(line)
    assert reply.kind == "usage"
    assert reply.title.startswith("pages count from 1")


def test_topics_takes_a_page_number_and_no_words(commands: Commands) -> None:
    """`topics 2` showed page 1 and `topics probing` the whole tree, the words ignored."""
    assert commands.execute("topics 2").items == commands.execute("topics --page 2").items
    assert commands.execute("topics 2").page == 2
    reply = commands.execute("topics probing")
    assert reply.kind == "usage"
    assert "`topic probing` looks one up" in reply.title


@pytest.mark.parametrize("line", ["topics 99999", "topics -1"])
def test_topics_with_a_number_that_is_no_page_says_which_pages_there_are(commands: Commands, line: str) -> None:
    """`topics 99999` was answered "`topics` takes no words (`topic 99999` looks one up)", a number as a word."""
    reply = commands.execute(line)
    assert (reply.kind, reply.title) == ("usage", "`topics` takes a page number from 1 to 9999, e.g. `topics 2`")


def test_a_search_cut_to_one_result_says_so_in_the_singular(catalogue_dir) -> None:
    from bot.catalogue.service import CatalogueService

    one = Commands(CatalogueService(catalogue_dir), search_limit=1)
    assert one.execute("search probing").text == "the best result"


def test_numbering_runs_on_across_pages(commands: Commands) -> None:
    second = commands.execute("topics --page 2")
    text = render_text(second)
    assert " 6. " in text.splitlines()[3]  # five to a page here: the second page starts at 6
    assert second.first_number == 6


def test_suggestions_say_which_general(commands: Commands) -> None:
    reply = commands.execute("topic generl")
    assert "Component › General" in reply.suggestions


def add_video_entry(catalogue_dir: Path, entry_id: str, title: str, url: str) -> None:
    """An entry written by hand at the top of video.yaml's first block, as a maintainer adds one."""
    path = catalogue_dir / "video.yaml"
    text = path.read_text(encoding="utf-8")
    first = text.index("    - id:")
    path.write_text(text[:first] + f"    - id: {entry_id}\n      title: \"{title}\"\n      links:\n"
                    f"        - label: blog\n          url: {url}\n" + text[first:], encoding="utf-8")


@pytest.mark.parametrize("query", ["Circuits Updates - July 2023", "Circuits Updates July 2025"])
def test_a_title_ending_in_another_year_is_not_the_entry_with_that_title_s_own_year(catalogue_dir: Path,
                                                                                    query: str) -> None:
    """A bare year after a title is a reference's tail only when the title has none of its own: the July 2023
    update is another paper than the July 2024 one on the list, not it cited."""
    add_video_entry(catalogue_dir, "circuits-updates-july-2024", "Circuits Updates - July 2024",
                    "https://transformer-circuits.pub/2024/july-update/index.html")
    commands = Commands(CatalogueService(catalogue_dir))
    assert commands.execute("paper Circuits Updates - July 2024").title == "Circuits Updates - July 2024"
    reply = commands.execute(f"paper {query}")
    assert reply.kind == "not_found"
    assert reply.title == f"No entry is titled “{query}”"


def test_a_title_two_entries_nearly_share_names_both_rather_than_none(catalogue_dir: Path) -> None:
    """A post added beside the talk of the same name: the reader asked for something on the list twice over."""
    add_video_entry(catalogue_dir, "concrete-open-problems-introduction",
                    "Concrete Open Problems in Mechanistic Interpretability: Introduction",
                    "https://example.org/concrete-open-problems-introduction")
    reply = Commands(CatalogueService(catalogue_dir)).execute("paper Concrete Open Problems in Mechanistic "
                                                              "Interpretability")
    assert reply.title == "“Concrete Open Problems in Mechanistic Interpretability” names 2 entries"
    assert sorted(item.title for item in reply.items) == [
        "Concrete Open Problems in Mechanistic Interpretability: Introduction",
        "Concrete Open Problems in Mechanistic Interpretability: Neel Nanda at SERI MATS"]


def test_a_listed_title_without_its_first_word_is_another_paper(catalogue_dir: Path) -> None:
    """Had the list "Concrete Open Problems in Mechanistic Interpretability" (Neel Nanda's post, without the talk's
    suffix), "Open Problems in Mechanistic Interpretability" (2501.16496, another paper) was answered as a typo of it:
    a word dropped from the start is how another title differs, a word dropped at the end how readers cut one."""
    add_video_entry(catalogue_dir, "concrete-open-problems-post", "Concrete Open Problems in Mechanistic "
                    "Interpretability", "https://example.org/concrete-open-problems")
    commands = Commands(CatalogueService(catalogue_dir))
    reply = commands.execute("paper Open Problems in Mechanistic Interpretability")
    assert reply.title == "No entry is titled “Open Problems in Mechanistic Interpretability”"
    assert reply.items[0].title == "Concrete Open Problems in Mechanistic Interpretability"  # offered first
    assert commands.execute("paper Concrete Open Problems in Mechanistic Interpretability").title == \
        reply.items[0].title


@pytest.mark.parametrize(("query", "title"), [("transformer lens", "TransformerLens"),
                                              ("Transformer Lens", "TransformerLens"),
                                              ("tuned lens", "Eliciting Latent Predictions from Transformers with "
                                                             "the Tuned Lens")])
def test_a_name_written_as_two_words_finds_the_one_word_title(commands: Commands, query: str, title: str) -> None:
    """'transformer lens' found the Tuned Lens paper (both words are in its title) instead of the library."""
    assert commands.execute(f"paper {query}").title == title


@pytest.mark.parametrize("line", ["p 2", "page 2", "--page 2", "/interp p 2"])
def test_a_page_without_its_command_says_to_name_the_command(commands: Commands, line: str) -> None:
    """It was 'Unknown command “”'."""
    reply = commands.execute(line)
    assert reply.kind == "usage"
    assert reply.title == "Page 2 of what?"
    assert "`topics p 2`" in reply.text


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e"])
def test_a_query_with_a_line_separator_is_searched_as_two_words(commands: Commands, separator: str) -> None:
    """Python splits words at these, but the query lost them with the invisible characters first: "sparse<U+2028>
    autoencoders" was searched, and echoed, as "sparseautoencoders"."""
    expected = commands.execute("search sparse autoencoders")
    for reply in (commands.execute(f"search sparse{separator}autoencoders"),  # a typed line
                  commands.run("search", f"sparse{separator}autoencoders")):  # a slash command's option
        assert reply.title == "Search: sparse autoencoders"
        assert [item.title for item in reply.items] == [item.title for item in expected.items]


def test_a_hand_edited_topic_title_with_a_line_separator_reads_as_two_words_in_answers(catalogue_dir: Path) -> None:
    """YAML keeps a U+2028 in a topic's title (written "\\u2028", or raw): every renderer dropped it with the
    invisible characters, and a topic answer was headed "SparseCoding", a search result filed under it too."""
    import json

    from bot.adapters.discord.render import render_reply
    from bot.adapters.slack.render import reply_blocks
    from tests.conftest import retitle_topic

    retitle_topic(catalogue_dir, "Sparse Coding", "Sparse\\u2028Coding")
    commands = Commands(CatalogueService(catalogue_dir))
    for reply in (commands.execute("topic sae"), commands.execute("search towards monosemanticity")):
        assert "Sparse\u2028Coding" in " ".join([reply.title, *(item.detail for item in reply.items)])  # as written
        rendered = render_reply(reply)
        for shown in (render_text(reply), json.dumps(rendered.embed.to_dict(), ensure_ascii=False),
                      rendered.fallback, json.dumps(reply_blocks(reply), ensure_ascii=False)):
            assert "Sparse Coding" in shown
            assert "SparseCoding" not in shown


def test_an_entry_whose_acronym_is_its_title_is_found_by_it(catalogue_dir: Path) -> None:
    """The name was stored twice for the one entry, and `paper transformer lens` answered "names 2 entries"."""
    path = catalogue_dir / "library.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "      title: TransformerLens\n", "      title: TransformerLens\n      acronym: TransformerLens\n", 1),
        encoding="utf-8")
    commands = Commands(CatalogueService(catalogue_dir))
    for query in ("TransformerLens", "transformer lens"):
        reply = commands.execute(f"paper {query}")
        assert (reply.kind, reply.title) == ("result", "TransformerLens")
