"""What each /interp command says about itself: one source for `help`, usage errors and Discord's descriptions.

`HELP` holds the lookups everyone may use; `MAINTAINER_HELP` the maintainers' curation commands, which
bot.curation.maintainer_commands registers where curation runs (the console, and every chat adapter of
`interp-bot run`). Discord's slash commands are described from both, so `help` and Discord never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    summary: str
    examples: tuple[str, ...]
    argument: str = ""  # what its argument is, for platforms that describe options (Discord)
    # Its --options and what each is, for platforms that describe options one by one (Discord).
    options: tuple[tuple[str, str], ...] = ()

    def option(self, name: str) -> str:
        return dict(self.options)[name]


HELP: dict[str, CommandHelp] = {
    "topic": CommandHelp("topic NAME", "List a topic's papers, tools and posts.",
                         ("topic probing", "topic sae", "topic logit lens"),
                         "A topic name, nickname (sae, logit lens) or slug"),
    "search": CommandHelp("search WORDS", "Search titles, notes, venues and authors.",
                          ("search induction heads", "search ROME"), "Words to look for, e.g. induction heads"),
    "paper": CommandHelp("paper ID|TITLE|LINK", "Show one entry with its links and topics.",
                         ("paper tuned lens", "paper IOI", "paper 2303.08112"),
                         "The entry's title, acronym, arXiv id or link"),
    "topics": CommandHelp("topics", "Show the topic tree.", ("topics",)),
    "recent": CommandHelp("recent [N]", "What joined the list lately.", ("recent", "recent 5"),
                          "How many entries (1-100, default 10)"),
    "help": CommandHelp("help [COMMAND]", "This help.", ("help", "help topic"), "A command to explain"),
}

CANDIDATE_NUMBER = "The candidate's number (#12 in its post and in `candidates`)"

MAINTAINER_HELP: dict[str, CommandHelp] = {
    "candidates": CommandHelp(
        "candidates [--all]", "Pending candidates, best first (--all: and those the daily budget held back).",
        ("candidates", "candidates --all"),
        options=(("--all", "Also the papers the daily budget held back (a vote puts one forward)"),)),
    "approve": CommandHelp(
        "approve ID [--topic SLUG]", "Add a candidate to the list now.", ("approve 12", "approve 12 --topic "
                                                                          "sparse-coding"), CANDIDATE_NUMBER,
        options=(("--topic", "Where to file it (default: the suggested topic most voted for, else the best one)"),)),
    "reject": CommandHelp("reject ID", "Reject a candidate.", ("reject 12",), CANDIDATE_NUMBER),
    # No typed `:white_check_mark: 12` in the summary: it is also Discord's description of /interp vote, and Discord's
    # slash commands take no typed line. The console and Slack show that form among the examples.
    "vote": CommandHelp(
        "vote EMOJI ID [--remove]", "Vote like a reaction.",
        ("vote white_check_mark 12", ":white_check_mark: 12", ":one: 12"), "The emoji, as you would react with it",
        options=(("--remove", "Take the vote back, as removing the reaction does"),)),
}
