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
    assert reply.items[0].title == "Enhancing Neural Network Transparency through Representation Analysis"
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
    assert "`topic component --page 2`" in first.footer
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


def test_maintainer_only_commands_refuse_others(commands: Commands) -> None:
    from bot.chat.values import Reply
    from bot.commands import CommandSpec

    commands.register(CommandSpec("approve", "approve ID", "x", ("approve 1",), lambda r: Reply(title="done"),
                                  maintainers_only=True))
    reader = Actor("discord", "1", is_maintainer=False)
    assert commands.execute("approve 1", actor=reader).kind == "error"
    assert commands.execute("approve 1", actor=Actor("console", "me", is_maintainer=True)).title == "done"
