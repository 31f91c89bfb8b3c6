"""The command-line contract (docs/architecture.md): JSON shapes, exit codes, render --check, import."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO, SEED


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_database(capsys: pytest.CaptureFixture[str], catalogue_dir: Path, url: str) -> None:
    """A database as the bot's first start leaves it (commands that read candidates never create one, nor do dry
    runs); `links` opens it as every command that records something does."""
    assert run(capsys, "--catalogue", str(catalogue_dir), "--db", url, "links")[0] == 0


def test_topic_prints_the_section_with_links(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 0
    assert "Enhancing Neural Network Transparency through Representation Analysis" in out
    assert "https://arxiv.org/abs/2310.01405" in out


def test_a_topic_name_with_two_letters_swapped_is_answered(capsys, catalogue_dir: Path) -> None:
    # "rome", an alias of Knowledge Editing: Indel counted the swap as two typos and found nothing (exit 1)
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "roem")
    assert code == 0
    assert out.startswith("Knowledge Editing\n")
    assert "(matched “roem”)" in out


def test_topic_json_has_the_documented_shape(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "sae", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"query", "topic", "entries", "suggestions", "related", "see_also"}
    assert data["query"] == "sae"
    assert data["topic"] == {"slug": "sparse-coding", "title": "Sparse Coding",
                             "path": "Paper & Blog › By Topic › Tools/Techniques/Methods › Sparse Coding"}
    entry = data["entries"][0]
    assert set(entry) == {"id", "title", "kind", "links", "starred", "topics"}
    assert entry["links"][0] == {"label": "Transformer Circuits Thread",
                                 "url": "https://transformer-circuits.pub/2023/monosemantic-features"}


def test_unknown_topic_json_is_null_with_suggestions_and_exit_1(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "general", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["topic"] is None
    assert len(data["suggestions"]) == 4
    assert set(data["suggestions"][0]) == {"slug", "title", "path"}


def test_search_json_shape_and_limit(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", "attention", "--json", "--limit", "3")
    data = json.loads(out)
    assert code == 0
    assert data["query"] == "attention"
    assert len(data["results"]) == 3
    result = data["results"][0]
    assert set(result) == {"entry", "topic", "score"}
    assert result["topic"]["slug"] in result["entry"]["topics"]
    # Nothing found exits 1 with and without --json (it used to be 0 with it), and the JSON still comes.
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", "xyzzy", "--json")
    assert (code, json.loads(out)["results"]) == (1, [])
    assert run(capsys, "--catalogue", str(catalogue_dir), "search", "xyzzy")[0] == 1
    assert isinstance(result["score"], float)


def test_topics_json_lists_the_tree(capsys, catalogue_dir: Path) -> None:
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topics", "--json")
    topics = json.loads(out)["topics"]
    assert len(topics) == 38
    assert topics[0]["slug"] == "tutorial"


def test_render_check_passes_then_detects_staleness(capsys, catalogue_dir: Path) -> None:
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")[0] == 0
    library = catalogue_dir / "library.yaml"
    library.write_text(library.read_text().replace("title: baukit", "title: baukit 2"))
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")
    assert code == 1
    # The command that renders this catalogue: without --catalogue it would render the default one.
    assert f"is stale: run `interp-bot --catalogue {catalogue_dir} render`" in err
    assert run(capsys, "--catalogue", str(catalogue_dir), "render")[0] == 0
    assert "**baukit 2**" in (catalogue_dir / "README.md").read_text()
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")[0] == 0


def test_an_invalid_catalogue_is_refused_with_file_and_line(capsys, catalogue_dir: Path) -> None:
    (catalogue_dir / "video.yaml").write_text("- topic: video\n  entries:\n    - id: x\n      titel: y\n")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 1
    assert "video.yaml:4: unknown entry key 'titel'" in err


def test_import_markdown_builds_a_catalogue_and_refuses_to_overwrite(capsys, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    code, out, _ = run(capsys, "--catalogue", str(target), "import-markdown", str(SEED))
    assert code == 0
    assert "93 entries (97 placements) in 38 topics" in out
    assert (target / "README.md").is_file()
    assert (target / "topics.yaml").is_file()
    code, _, err = run(capsys, "--catalogue", str(target), "import-markdown", str(SEED))
    assert code == 1
    assert "--force" in err
    assert run(capsys, "--catalogue", str(target), "render", "--check")[0] == 0


def test_import_markdown_where_it_cannot_write_says_why(capsys, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder\n")
    target = tmp_path / "a-file" / "catalogue"
    code, _, err = run(capsys, "--catalogue", str(target), "import-markdown", str(SEED))
    assert code == 1
    assert err.startswith(f"interp-bot: cannot write {target}: ")
    assert len(err.strip().splitlines()) == 1


def test_import_markdown_names_what_is_wrong_with_the_file(capsys, tmp_path: Path) -> None:
    latin1 = tmp_path / "list.md"
    latin1.write_bytes(SEED.read_text(encoding="utf-8").replace("Probing", "Pr\u00f6bing").encode("latin-1", "replace"))
    code, _, err = run(capsys, "--catalogue", str(tmp_path / "fresh"), "import-markdown", str(latin1))
    assert code == 1
    assert re.search(rf"interp-bot: {re.escape(str(latin1))}: not UTF-8 text \(byte 0x[0-9a-f]{{2}} at offset \d+\); "
                     "save it as UTF-8", err), err
    assert "Traceback" not in err
    code, _, err = run(capsys, "--catalogue", str(tmp_path / "fresh"), "import-markdown", str(tmp_path))
    assert code == 2
    assert err.strip() == f"interp-bot: {tmp_path}: a directory, not a markdown file"
    assert not (tmp_path / "fresh").exists()


def test_render_to_a_place_it_cannot_write_says_why(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    for target, why in ((tmp_path / "missing" / "list.md", "No such file or directory"), (tmp_path, "Is a directory")):
        code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "render", "--output", str(target))
        assert code == 1
        assert err.strip().endswith(f"interp-bot: cannot write {target}: {why}"), err
        assert "Traceback" not in err


def test_render_never_writes_markdown_over_the_lists_data(capsys, catalogue_dir: Path) -> None:
    """`render --output catalogue/topics.yaml` replaced the topic tree with markdown."""
    tree = (catalogue_dir / "topics.yaml").read_text(encoding="utf-8")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "render", "--output",
                       str(catalogue_dir / "topics.yaml"))
    assert code == 2
    assert f"render writes markdown, not over {catalogue_dir / 'topics.yaml'}: name a .md file" in err
    assert (catalogue_dir / "topics.yaml").read_text(encoding="utf-8") == tree


def test_render_refuses_an_emptied_entry_file_and_keeps_the_readme(capsys, catalogue_dir: Path) -> None:
    readme = (catalogue_dir / "README.md").read_text(encoding="utf-8")
    (catalogue_dir / "library.yaml").write_text("", encoding="utf-8")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "render")
    assert code == 1
    assert "library.yaml:1: no topic blocks" in err
    assert (catalogue_dir / "README.md").read_text(encoding="utf-8") == readme


def test_an_alias_bomb_in_the_catalogue_fails_fast_with_file_and_line(capsys, catalogue_dir: Path) -> None:
    from tests.catalogue.test_yaml_io import BILLION_LAUGHS

    (catalogue_dir / "zz-bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 1
    assert "zz-bomb.yaml:5: aliases here expand" in err


def test_no_command_prints_help(capsys) -> None:
    code, out, _ = run(capsys)
    assert code == 2
    assert "import-markdown" in out
    assert "classify" in out


def test_status_help_says_its_exit_status_is_the_same_with_or_without_json(capsys) -> None:
    """The health check runs plain `status`: the help had the exit status under --json alone."""
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "text or --json alike" in out
    assert "machine-readable output (exit" not in out


def test_a_bad_setting_names_the_variable(capsys, catalogue_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("INTERP_BOT_DIGEST_TIME", "25:99")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 3
    assert "INTERP_BOT_DIGEST_TIME" in err


@pytest.mark.parametrize(("platform", "setting", "told"), [
    ("discord", "rocket", "INTERP_BOT_APPROVE_EMOJI: 'rocket' has no emoji character interp-bot knows, and Discord "
                          "sends reactions as characters"),
    ("slack", "🚀", "INTERP_BOT_APPROVE_EMOJI: '🚀' is an emoji character, and Slack sends reactions by name"),
])
def test_a_voting_emoji_the_platform_never_sends_stops_run_before_connecting(
        capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch, platform: str, setting: str, told: str) -> None:
    """INTERP_BOT_APPROVE_EMOJI=rocket on Discord: the bot's own 🚀 failed ("Unknown Emoji", logged), and the 🚀 a
    maintainer clicked arrived as "🚀", never "rocket": every approval counted for nothing, with the bot healthy."""
    monkeypatch.setenv("INTERP_BOT_APPROVE_EMOJI", f"white_check_mark,{setting}")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/e.db",
                       "run", "--adapter", platform)
    assert code == 3
    assert told in " ".join(err.split())
    assert "white_check_mark" in err  # the names it could be


def test_a_voting_emoji_each_platform_sends_is_taken(capsys, catalogue_dir: Path, tmp_path: Path,
                                                     monkeypatch) -> None:
    """The emoji itself is fine where the bot runs on Discord alone, a custom Slack name on Slack alone, and a
    Discord server's own emoji as Discord writes it (its reactions arrive so, and voted before the check came): `run`
    goes on to the next thing it needs (here the platform's token, left unset)."""
    for platform, setting, missing in (("discord", "🚀", "DISCORD_TOKEN"), ("slack", "shipit", "SLACK_BOT_TOKEN"),
                                       ("discord", "<:approve:1180000000000000001>", "DISCORD_TOKEN"),
                                       ("discord", "<a:yes:1180000000000000002>", "DISCORD_TOKEN")):
        monkeypatch.setenv("INTERP_BOT_APPROVE_EMOJI", setting)
        code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/{platform}.db",
                           "run", "--adapter", platform)
        assert code == 3, platform
        assert missing in err and "INTERP_BOT_APPROVE_EMOJI" not in err, err


def test_a_mistyped_variable_is_warned_about_and_the_answer_still_comes(capsys, catalogue_dir: Path,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("INTERP_BOT_APROVALS_NEEDED", "1")
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 0
    assert "Probing" in out
    assert ("WARNING bot.settings: INTERP_BOT_APROVALS_NEEDED is not a setting (did you mean "
            "INTERP_BOT_APPROVALS_NEEDED?); it is ignored") in err


def test_recent_takes_1_to_100_and_says_so_like_any_bad_number(capsys, catalogue_dir: Path) -> None:
    for count, why in (("0", "must be 1 or more, not 0"), ("1000", "must be 100 or less, not 1000")):
        with pytest.raises(SystemExit) as exit_info:
            run(capsys, "--catalogue", str(catalogue_dir), "recent", count)
        assert exit_info.value.code == 2
        assert f"interp-bot recent: error: argument count: {why}" in capsys.readouterr().err


def test_a_broken_feeds_file_stops_poll_and_run_but_not_a_maintainers_decision(capsys, catalogue_dir: Path,
                                                                                 tmp_path: Path) -> None:
    """Mid-typo in feeds.yaml, a maintainer can still list, decide and look up; status says what is wrong."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: x\n    url: [broken\n", encoding="utf-8")
    base = ("--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/f.db", "--feeds", str(feeds))
    for command in (("poll", "--once"), ("run", "--adapter", "console")):
        code, _, err = run(capsys, *base, *command)
        assert code == 1, command
        assert f"{feeds}:4: invalid YAML" in err
        assert not (tmp_path / "f.db").exists(), f"{command}: stopped before making a database"
    make_database(capsys, catalogue_dir, f"sqlite:///{tmp_path}/f.db")
    code, out, _ = run(capsys, *base, "candidates")
    assert (code, out.splitlines()[0]) == (0, "No pending candidates")
    assert run(capsys, *base, "decide", "1", "approve")[2].strip().endswith("no candidate #1")
    code, out, _ = run(capsys, *base, "status", "--json")
    assert json.loads(out)["feeds_file"]["problem"].startswith(f"{feeds}:4: invalid YAML")
    assert code == 1, "unhealthy: a restarted bot would not start"
    code, out, _ = run(capsys, *base, "status")
    assert f"FEEDS FILE INVALID: {feeds}:4: invalid YAML" in out
    assert code == 1
    feeds.unlink()  # a missing file is only a warning at start (nothing is polled): healthy
    assert run(capsys, *base, "status")[0] == 0


def test_a_feeds_file_named_by_its_directory_says_to_name_the_file(capsys, catalogue_dir: Path,
                                                                   tmp_path: Path) -> None:
    """`--feeds DIR` said "feeds file DIR not found", though it is right there."""
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/f.db", "--feeds",
                       str(tmp_path), "poll", "--once")
    assert code == 3
    assert f"feeds file {tmp_path} is a directory: name the file, such as {tmp_path}/feeds.yaml" in err


def test_status_reports_a_broken_catalogue_with_everything_else(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    """The unfinished-approval message sends the operator to `status`; it must work when the YAML is what broke."""
    base = ("--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/s.db")
    make_database(capsys, catalogue_dir, f"sqlite:///{tmp_path}/s.db")
    assert run(capsys, *base, "candidates")[0] == 0
    (catalogue_dir / "survey.yaml").write_text("- topic: [unclosed\n", encoding="utf-8")
    assert run(capsys, *base, "candidates")[0] == 1, "other commands still refuse an invalid list"
    code, out, _ = run(capsys, *base, "status", "--json")
    assert code == 1, "unhealthy: the bot would not start"
    data = json.loads(out)
    assert data["catalogue"]["problem"].startswith(f"{catalogue_dir / 'survey.yaml'}:")
    assert data["catalogue"]["entries"] is None and data["links"] is None
    assert data["database"]["schema"] and "papers" in data
    _, out, _ = run(capsys, *base, "status")
    catalogue_line = next(line for line in out.splitlines() if line.startswith("Catalogue"))
    assert f"INVALID: {catalogue_dir / 'survey.yaml'}:" in catalogue_line
    assert "Links       unknown while the catalogue is invalid" in out


def test_console_answers_lines_from_stdin(tmp_path: Path, catalogue_dir: Path) -> None:
    """The whole console through a real process, as a user pipes it."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/c.db",
         "console"],
        input="topic probign\nsearch ROME\nnonsense words\nhelp\nhelp quit\nquit\n", capture_output=True, text=True,
        timeout=60,
        cwd=tmp_path, env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert result.returncode == 0, result.stderr
    assert "Probing" in result.stdout
    assert "(matched “probign”)" in result.stdout
    assert "Locating and Editing Factual Associations in GPT (ROME)" in result.stdout
    assert "Unknown command" in result.stdout
    assert "`quit` (or `exit`, `:q`, Ctrl-D) ends the console session." in result.stdout  # the banner names quit
    # The command lists (`help`'s and an unknown command's) name the way out too; a chat's help has no `quit`.
    assert result.stdout.count("`quit` — End the console session (or `exit`, `:q`, Ctrl-D).") == 2


def test_console_numbers_nobody_can_use_get_answers_and_the_session_goes_on(tmp_path: Path, catalogue_dir: Path
                                                                          ) -> None:
    """Numbers that str.isdigit() accepts but int() does not, and numbers larger than any database integer, each
    used to end the console (and with it a `run --adapter console` bot) with a traceback."""
    lines = ["recent ²", "approve ²", "reject ①", "approve 99999999999999999999999",
             "vote x 99999999999999999999999", ":white_check_mark: 99999999999999999999999", "topic probing"]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/c.db",
         "console"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "“²” is not a number from 1 to 100" in result.stdout
    assert "approve needs a candidate number" in result.stdout
    assert "reject needs a candidate number" in result.stdout
    assert result.stdout.count("Nothing changed for candidate #99999999999999999999999") == 3
    assert result.stdout.count("no candidate #99999999999999999999999") == 1  # the approval; the votes:
    assert result.stdout.count("no such candidate") == 2
    assert "Paper & Blog › By Topic › Tools/Techniques/Methods › Probing" in result.stdout


@pytest.mark.parametrize("number", ["99999999999999999999999", "3000000000"])  # beyond SQLite's; beyond PostgreSQL's
def test_decide_on_a_number_no_database_holds_says_so(capsys, catalogue_dir: Path, database_url: str,
                                                      number: str) -> None:
    make_database(capsys, catalogue_dir, database_url)
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", database_url, "decide", number, "approve")
    assert code == 1
    assert err.strip().splitlines()[-1] == f"interp-bot: no candidate #{number}"
    assert "Traceback" not in err


def test_the_repository_catalogue_readme_is_current() -> None:
    """CI runs `render --check` too; this keeps a stale README from landing at all."""
    from bot.catalogue.service import CatalogueService
    from tests.conftest import CATALOGUE

    assert CatalogueService(CATALOGUE).readme_is_current()


def _decide_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *titles: str) -> tuple[str, list[int]]:
    """A database holding candidates with these titles, and two maintainers configured (as YAML, as the README
    allows) with INTERP_BOT_APPROVALS_NEEDED at its default of 2."""
    from bot.store.db import Database
    from tests.curation.test_pipeline import add_candidate

    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", "[{name: alice, discord: ['111']}, {name: bob}]")
    db = f"sqlite:///{tmp_path / 'decide.db'}"
    database = Database.open(db)
    ids = [add_candidate(database, n, title=title or None) for n, title in enumerate(titles, 1)]
    database.close()
    return db, ids


def test_decide_as_an_empty_name_is_nobodys_vote(capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """`--as "$WHO"` with WHO unset counted the console maintainer's vote; and a name with a bidi override in it
    was printed as it was, turning the rest of the terminal's line around."""
    db, (paper,) = _decide_env(monkeypatch, tmp_path, "")
    base = ("--catalogue", str(catalogue_dir), "--db", db, "decide", str(paper), "approve")
    code, out, err = run(capsys, *base, "--as", "")
    assert code == 2
    assert '--as "": not a configured maintainer (known: alice, bob, console' in err
    assert "vote" not in out
    code, _, err = run(capsys, *base, "--as", "\u202ebob")
    assert code == 2
    assert "--as \\u202ebob: not a configured maintainer" in err
    code, out, _ = run(capsys, *base, "--force")  # no --as at all: the console maintainer, as before
    assert f"candidate #{paper} approved" in out


def test_decide_is_one_maintainers_vote_and_force_is_a_recorded_override(capsys, catalogue_dir: Path,
                                                                          tmp_path: Path, monkeypatch) -> None:
    from bot.catalogue.yaml_io import load_catalogue

    db, (voted, forced, rejected) = _decide_env(monkeypatch, tmp_path, "", "", "")
    base = ("--catalogue", str(catalogue_dir), "--db", db, "decide")
    code, out, _ = run(capsys, *base, str(voted), "approve", "--topic", "probing", "--as", "alice")
    assert code == 0
    assert f"candidate #{voted}: alice's approve vote counted: 1 of 2 approvals needed; no decision yet" in out
    code, out, _ = run(capsys, *base, str(voted), "approve", "--as", "alice")  # said "counted" again
    assert f"candidate #{voted}: alice's approve vote already counted: 1 of 2 approvals needed" in out
    code, out, _ = run(capsys, *base, str(voted), "approve", "--as", "Bob")  # names are people's, not passwords
    assert code == 0
    assert f"candidate #{voted} approved: added to probing" in out  # alice's topic choice counted
    entry = next(e for e in load_catalogue(catalogue_dir).entries if e.approved_by == ("alice", "bob"))  # as named
    assert (entry.topics, entry.forced) == (("probing",), False)

    code, _, err = run(capsys, *base, str(forced), "approve", "--as", "mallory")
    assert code == 2
    assert "--as mallory: not a configured maintainer (known: alice, bob, console" in err
    code, out, _ = run(capsys, *base, str(forced), "approve", "--as", "alice", "--force")
    assert code == 0
    assert f"candidate #{forced} approved (forced: an override of the vote count)" in out
    entry = next(e for e in load_catalogue(catalogue_dir).entries if e.approved_by == ("alice",))
    assert entry.forced
    assert "forced: true" in (catalogue_dir / "tools-techniques-methods.yaml").read_text(encoding="utf-8")

    code, out, _ = run(capsys, *base, str(rejected), "reject")  # the console maintainer; one rejection suffices
    assert code == 0
    assert f"candidate #{rejected} rejected" in out
    code, _, err = run(capsys, *base, str(rejected), "approve")
    assert code == 1
    assert "already rejected" in err
    code, _, err = run(capsys, *base, "999", "approve")
    assert code == 1
    assert "no candidate #999" in err


def test_a_maintainer_taken_off_the_list_no_longer_counts_towards_a_decision(capsys, catalogue_dir: Path,
                                                                            tmp_path: Path, monkeypatch) -> None:
    """Alice voted, then left INTERP_BOT_MAINTAINERS (the bot restarted with the new list): her vote still made one
    of the two approvals, and Bob's approve listed the paper. The vote stays in the database, uncounted."""
    from bot.catalogue.yaml_io import load_catalogue

    db, (paper_id, rejected) = _decide_env(monkeypatch, tmp_path, "", "")
    base = ("--catalogue", str(catalogue_dir), "--db", db, "decide")
    monkeypatch.setenv("INTERP_BOT_REJECTIONS_NEEDED", "2")
    for decision, paper in (("approve", paper_id), ("reject", rejected)):
        code, out, _ = run(capsys, *base, str(paper), decision, "--as", "alice")
        assert code == 0
        assert f"alice's {decision} vote counted: 1 of 2" in out
    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", "[{name: bob}, {name: carol}]")  # alice is gone
    code, out, _ = run(capsys, *base, str(paper_id), "approve", "--as", "bob")
    assert code == 0
    assert out.startswith(f"candidate #{paper_id}: bob's approve vote counted: 1 of 2 approvals needed; no "
                          "decision yet")
    code, out, _ = run(capsys, *base, str(rejected), "reject", "--as", "bob")
    assert out.startswith(f"candidate #{rejected}: bob's reject vote counted: 1 of 2 rejections needed; no decision")
    code, out, _ = run(capsys, *base, str(paper_id), "approve", "--as", "carol")
    assert out.startswith(f"candidate #{paper_id} approved: added to ")
    entry = next(e for e in load_catalogue(catalogue_dir).entries if e.approved_by == ("bob", "carol"))
    assert entry.title.endswith("Number 1 in Language Models")
    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", "[{name: alice}, {name: bob}]")  # back on the list: it counts
    code, out, _ = run(capsys, *base, str(rejected), "reject", "--as", "bob")
    assert out == f"candidate #{rejected} rejected\n"


def test_decide_approve_that_a_standing_rejection_vetoes_says_why(capsys, catalogue_dir: Path, tmp_path: Path,
                                                                  monkeypatch) -> None:
    """It printed a bare "candidate #N rejected" to an approve: a ❌ cast when two were needed vetoes now that
    INTERP_BOT_REJECTIONS_NEEDED is 1."""
    db, (paper_id,) = _decide_env(monkeypatch, tmp_path, "")
    base = ("--catalogue", str(catalogue_dir), "--db", db, "decide", str(paper_id))
    monkeypatch.setenv("INTERP_BOT_REJECTIONS_NEEDED", "2")
    assert run(capsys, *base, "reject", "--as", "bob")[0] == 0
    monkeypatch.setenv("INTERP_BOT_REJECTIONS_NEEDED", "1")
    code, out, _ = run(capsys, *base, "approve", "--as", "alice")
    assert code == 0
    assert out == f"candidate #{paper_id} rejected: alice's approve vote counted, but a standing rejection vetoes it\n"


def test_decide_on_a_paper_added_by_hand_meanwhile_says_where_it_is(capsys, catalogue_dir: Path, tmp_path: Path,
                                                                     monkeypatch) -> None:
    """Added by hand under Probing while it waited for votes: `decide --topic visulization` answered "added to
    visulization ...; README.md re-rendered", though nothing was written and it stands under Probing."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry

    db, (paper_id,) = _decide_env(monkeypatch, tmp_path, "")
    append_entry(catalogue_dir, Entry(id="family-1", title="Family one, added by hand",
                                      links=(Link("arxiv", "https://arxiv.org/abs/2411.10001"),)), "probing")
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "decide", str(paper_id), "approve",
                         "--topic", "visulization", "--force")
    assert code == 0, err
    assert out == (f"candidate #{paper_id} approved (forced: an override of the vote count): already on the list as "
                   "`family-1` under probing; nothing written\n")


@pytest.mark.parametrize("title", ["No", "1984", "null", "0x1F", "2024-01-01", "true"])
def test_decide_lists_a_paper_whose_title_yaml_would_misread(capsys, catalogue_dir: Path, tmp_path: Path,
                                                              monkeypatch, title: str) -> None:
    from bot.catalogue.yaml_io import load_catalogue

    db, (paper_id,) = _decide_env(monkeypatch, tmp_path, title)
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "decide", str(paper_id), "approve",
                         "--force")
    assert code == 0, err
    entry = next(e for e in load_catalogue(catalogue_dir).entries if e.title == title)
    assert entry.id.startswith(f"{title.lower().replace('-', '-')}-")
    assert f"as `{entry.id}`" in out
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")[0] == 0


def test_decide_finishes_an_approval_a_crash_interrupted(capsys, catalogue_dir: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    """Killed after the decision committed (nothing written), and killed after the YAML was written but before
    the README was rendered: `decide` finishes both, once. (tests/ops/test_recovery.py kills real processes.)"""
    from bot.catalogue.yaml_io import load_catalogue
    from bot.catalogue.yaml_write import append_entry
    from bot.curation.entries import entry_for
    from bot.store.curation import CurationStore
    from bot.store.db import Database
    from bot.store.papers import PaperStore

    db, (before_write, before_render) = _decide_env(monkeypatch, tmp_path, "", "")
    database = Database.open(db)
    store = CurationStore(database)
    for paper_id in (before_write, before_render):
        with database.transaction() as conn:
            store.decide(conn, paper_id=paper_id, decision="approved", topic="probing", deciders=["alice", "bob"],
                         entry_id=None, now=database.now())
    decision = store.decision(before_render)
    paper = PaperStore(database).paper(before_render)
    append_entry(catalogue_dir, entry_for(paper, decision, set()), "probing")  # the YAML, but no README yet
    database.close()
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")[0] == 1

    base = ("--catalogue", str(catalogue_dir), "--db", db, "decide")
    for paper_id in (before_write, before_render):
        code, out, err = run(capsys, *base, str(paper_id), "approve")
        assert code == 0, err
        assert f"candidate #{paper_id}: finished the approved decision left unfinished" in out
        code, _, err = run(capsys, *base, str(paper_id), "approve")
        assert code == 1
        assert "already approved" in err
    titles = [e.title for e in load_catalogue(catalogue_dir).entries]
    assert titles.count("Sparse Autoencoders Reveal Feature Family Number 1 in Language Models") == 1
    assert titles.count("Sparse Autoencoders Reveal Feature Family Number 2 in Language Models") == 1
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")[0] == 0


def test_classify_reads_json_lines_and_answers_each(capsys, catalogue_dir: Path, monkeypatch) -> None:
    import io

    lines = [
        {"title": "Sparse Autoencoders Find Interpretable Features in Llama 3", "summary": ""},
        {"title": "Deep Residual Learning for Image Recognition", "summary": "We train very deep networks."},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "classify")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert "1 input line(s)" in err  # the bad line is reported, the good ones still answered
    assert results[0]["relevant"] is True
    assert results[0]["topics"][0]["slug"] == "sparse-coding"
    assert set(results[0]["topics"][0]) == {"slug", "title", "path", "score"}
    assert results[1]["relevant"] is False
    assert 0.0 <= results[1]["score"] <= 1.0
    assert "error" in results[2]


def test_classify_explain_says_why(capsys, catalogue_dir: Path, monkeypatch) -> None:
    import io

    from bot.intake.relevance.scorer import Scorer

    line = {"title": "Deep Residual Learning for Image Recognition", "summary": "We train very deep networks."}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(line) + "\n"))
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "classify", "--explain")
    (result,) = [json.loads(text) for text in out.splitlines()]
    assert code == 0
    assert result["relevant"] is False
    penalty = Scorer.load().gate_penalty
    assert {"feature": "gate:no scope cue", "log_odds": -penalty} in result["why"]  # no language model in it


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("INTERP_BOT_MAINTAINERS", "[{name: ada", "INTERP_BOT_MAINTAINERS: not a JSON or YAML list"),
    ("INTERP_BOT_MAINTAINERS", "ada, bob", "INTERP_BOT_MAINTAINERS: must be a list of {name, discord, slack}"),
    ("INTERP_BOT_MAINTAINERS", '[{"nom": "ada"}]', "INTERP_BOT_MAINTAINERS: item 1 name: Field required"),
    # Unchecked, `run` died at start in the HTTP library with a traceback ("InvalidUrlClientError").
    ("INTERP_BOT_SLACK_API_URL", "slack.com/api/", "INTERP_BOT_SLACK_API_URL: must be an http(s) URL, e.g. "),
    ("INTERP_BOT_GITHUB_API_URL", "api.github.com", "INTERP_BOT_GITHUB_API_URL: must be an http(s) URL, e.g. "),
    ("INTERP_BOT_DATABASE_URL", "notadb://x/y", "INTERP_BOT_DATABASE_URL (or --db) names a kind of database"),
    ("INTERP_BOT_DATABASE_URL", "::::", "INTERP_BOT_DATABASE_URL (or --db) is not a database URL"),
    ("INTERP_BOT_DATABASE_URL", "postgresql://u:pw@[::1", "INTERP_BOT_DATABASE_URL (or --db) is not a database"),
    ("INTERP_BOT_DATABASE_URL", "postgresql+asyncpg://u:pw@localhost/db",
     "INTERP_BOT_DATABASE_URL (or --db) names a driver that is not installed (asyncpg)"),
    ("INTERP_BOT_DATABASE_URL", "postgresql://u:pw@rd@localhost/db",
     "INTERP_BOT_DATABASE_URL (or --db) has an '@' in its user name or password"),
])
def test_a_malformed_setting_is_one_line_naming_the_variable(capsys, catalogue_dir: Path, monkeypatch,
                                                             variable: str, value: str, expected: str) -> None:
    monkeypatch.setenv(variable, value)
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "status")
    assert code == 3
    assert err.startswith(f"interp-bot: configuration error: {expected}")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert ":pw@" not in err  # a URL's password is never repeated
    assert "rd@" not in err  # nor any part of it


def test_an_empty_db_option_is_a_configuration_error(capsys, catalogue_dir: Path) -> None:
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", "", "status")
    assert code == 3
    assert err == "interp-bot: configuration error: --db (or INTERP_BOT_DATABASE_URL): is empty: give " \
                  "sqlite:///FILE or postgresql://USER@HOST/DB\n"


def test_a_config_file_of_invalid_yaml_names_the_file_and_line(capsys, catalogue_dir: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    config = tmp_path / "interp-bot.yaml"
    config.write_text("approvals_needed: 1\nmaintainers: [\n  {name: ada\n", encoding="utf-8")
    monkeypatch.setenv("INTERP_BOT_CONFIG", str(config))
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "topics")
    assert code == 3
    assert err.startswith(f"interp-bot: configuration error: INTERP_BOT_CONFIG names {config}, which cannot be "
                          "read: line 4: invalid YAML")
    assert "Traceback" not in err


def test_interp_bot_config_set_in_dotenv_is_honoured(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    """.env.example lists INTERP_BOT_CONFIG, but only the real environment was read for it."""
    (tmp_path / "interp-bot.yaml").write_text("page_size: 2\n", encoding="utf-8")
    (tmp_path / ".env").write_text(f"INTERP_BOT_CONFIG={tmp_path / 'interp-bot.yaml'}\n", encoding="utf-8")
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "feature-representation-probing-based")
    assert code == 0
    assert "page 1/5" in out  # nine entries, two a page: the config file's page_size


def test_status_creates_nothing(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    """`status` looks: a SQLite URL in a directory that does not exist is reported, not created (nor migrated)."""
    missing = tmp_path / "nonexistent" / "dir"
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{missing}/x.db", "status")
    assert code == 1
    assert f"no database at {missing}/x.db" in err
    assert not (tmp_path / "nonexistent").exists()
    # A monitor reading `status --json` gets the problem as JSON, not an empty output.
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{missing}/x.db", "status",
                         "--json")
    assert code == 1
    data = json.loads(out)
    assert data["problem"].startswith(f"no database at {missing}/x.db")
    assert data["database"] == {"url": f"sqlite:///{missing}/x.db", "schema": None}
    assert not (tmp_path / "nonexistent").exists()
    # A directory is no database "made when the bot first starts": a file in it is what to name.
    for command in ("status", "candidates"):
        code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}", command)
        assert code == 3
        assert f"names the directory {tmp_path}: name a file in it, such as sqlite:///{tmp_path}/interp-bot.db" in err

def test_paper_json_has_the_documented_shape(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "paper", "arXiv:2312.06681", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"query", "entry", "how", "closest"}
    assert data["entry"]["title"] == "Steering Llama 2 via Contrastive Activation Addition"
    assert (data["how"], data["closest"]) == ("link", [])
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "paper", "toy", "models", "of", "superposition",
                       "--json")
    data = json.loads(out)
    assert code == 1
    assert (data["entry"], data["how"]) == (None, "none")
    assert data["closest"][0]["title"].startswith("A Toy Model of Universality")
    # Named twice on the list, not missing from it: the JSON says which (the text answer always did).
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "paper", "grokking", "--json")
    data = json.loads(out)
    assert (code, data["entry"], data["how"]) == (1, None, "several")
    assert len(data["closest"]) == 2


@pytest.mark.parametrize("command", [("topic", "probing"), ("topics",)])
def test_json_holds_the_whole_answer_so_page_is_refused(capsys, catalogue_dir: Path, command: tuple) -> None:
    """`topic x --json --page 2` printed every entry, whatever page was asked for."""
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), *command, "--json", "--page", "2")
    assert (code, out) == (2, "")
    assert f"interp-bot {command[0]}: error: --page pages the text answer; --json holds all of it" in err


def test_a_query_too_long_to_look_up_is_refused_in_json_as_in_text(capsys, catalogue_dir: Path) -> None:
    query = "probing " * 130
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", query)
    assert code == 1
    assert "That is too long" in out
    assert "A query is read up to its first 200 characters, and one of more than 1,000 is refused." in out
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "search", query, "--json")
    assert (code, out) == (2, "")
    assert "interp-bot search: error: A query is read up to its first 200 characters" in err


def test_topic_json_points_elsewhere_and_answers_a_miss_with_entries(capsys, catalogue_dir: Path) -> None:
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "circuits", "--json")
    data = json.loads(out)
    assert "A mathematical framework for transformer circuits" in [e["title"] for e in data["see_also"]]
    assert set(data["related"][0]) == {"slug", "title", "path"}
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topic", "how do LLMs store facts", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["topic"] is None
    assert data["see_also"][0]["title"] == "Summing Up the Facts: Additive Mechanisms behind Factual Recall in LLMs"


def test_topics_shows_the_whole_tree_and_accepts_the_paging_it_hints(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "topics")
    assert code == 0
    assert "Hallucination" in out  # the last of 38
    assert "--page" not in out
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--log-level", "WARNING", "topics", "--page", "2")
    assert code == 0
    assert out.splitlines()[3].startswith(" 9. ")  # eight to a page: numbering runs on
    assert "`interp-bot topics --page 3` for more" in out  # as a shell runs it


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_search_limit_must_be_a_positive_number(capsys, catalogue_dir: Path, limit: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--catalogue", str(catalogue_dir), "search", "attention", "--limit", limit])
    assert exit_.value.code == 2
    assert "usage: interp-bot search" in capsys.readouterr().err


def test_search_limit_means_the_most_results_in_text_and_json(capsys, catalogue_dir: Path) -> None:
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", "attention", "--limit", "3")
    assert "the best 3 results" in out
    assert " 3. " in out
    assert " 4. " not in out
    assert "--page" not in out
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", "attention", "--limit", "3", "--json")
    assert len(json.loads(out)["results"]) == 3


def test_search_cut_at_its_limit_says_how_to_see_more(capsys, catalogue_dir: Path) -> None:
    """A terminal shows the best --limit results where chat pages on: "the best 3 results" said nothing of the
    others, nor how to see them."""
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", "attention", "--limit", "3")
    assert out.rstrip().endswith("More match: `interp-bot search attention --limit 6` shows the best 6.")
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "search", "attention", "--limit", "500")
    assert "More match" not in out
    assert "results" in out.splitlines()[1] and "best" not in out.splitlines()[1]  # all of them: "N results"


def test_recent_is_a_command_too(capsys, catalogue_dir: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "recent", "5")
    assert code == 0
    assert "Nothing has joined the list through the bot yet." in out


@pytest.mark.parametrize("args", [("search", "attention", "--json"), ("topic", "probing"), ("topics",)])
def test_a_reader_that_stops_reading_gets_no_traceback(tmp_path: Path, catalogue_dir: Path, args: tuple) -> None:
    """`interp-bot search attention --json | head -1`: the pipe closes before everything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    result = subprocess.run([sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), *args],
                            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(write_end)
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert result.returncode == 141


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_that_cannot_show_every_character_gets_the_answer_anyway(tmp_path: Path, catalogue_dir: Path,
                                                                        encoding: str) -> None:
    """A C locale or a Windows code page: `topic attention` died with a UnicodeEncodeError on its "›"."""
    result = subprocess.run([sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), "topic", "attention"],
                            capture_output=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": encoding})
    assert result.returncode == 0, result.stderr.decode(encoding)
    assert b"Traceback" not in result.stderr
    out = result.stdout.decode(encoding)
    assert "Paper & Blog ? By Topic ? Component ? Attention" in out
    assert "In-context learning and induction heads" in out


def test_json_to_an_ascii_output_keeps_every_character_exact(tmp_path: Path, catalogue_dir: Path) -> None:
    """With "?" for what ASCII cannot hold, `search Marušič --json` answered {"query": "Maru?i?"}: valid JSON, wrong
    data. JSON's own escapes keep it exact."""
    result = subprocess.run([sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), "search", "Marušič",
                             "--json"], capture_output=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "ascii"})
    assert b"Traceback" not in result.stderr
    assert json.loads(result.stdout.decode("ascii"))["query"] == "Marušič"


def test_digest_with_nothing_new_says_so_and_never_claims_a_post(capsys, catalogue_dir: Path) -> None:
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--log-level", "WARNING", "digest")
    assert code == 0
    assert "nothing new since yesterday, so no digest today" in err
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--log-level", "WARNING", "digest")
    assert "was already done: there was nothing to post" in err
    assert "already posted" not in err
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--log-level", "WARNING", "status")
    assert "Digest      never posted" in out


def test_digest_while_another_run_posts_it_says_so(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    """With the scheduled digest being posted by the bot that very minute, `interp-bot digest` said the day's
    digest "was already done: there was nothing to post"."""
    from datetime import UTC, datetime, timedelta

    from bot.store.curation import CurationStore
    from bot.store.db import Database

    url = f"sqlite:///{tmp_path / 'd.db'}"
    make_database(capsys, catalogue_dir, url)
    database = Database.open(url)
    try:
        today = datetime.now(UTC).date()  # the day `digest` takes, in UTC (INTERP_BOT_TIMEZONE's default)
        days = [today.isoformat(), (today + timedelta(days=1)).isoformat()]  # midnight may pass meanwhile
        for day in days:
            assert CurationStore(database).claim_digest("console:terminal", day, "the bot", covers_until=None,
                                                        stale_after=timedelta(minutes=10))
    finally:
        database.close()
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", url, "--log-level", "WARNING", "digest")
    assert code == 0, err
    assert any(f"console:terminal: today's digest ({day}) is being posted by another run right now" in err
               for day in days), err


def test_a_digest_dry_run_before_the_first_start_shows_the_digest_and_makes_no_database(
        capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.db"
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{database}", "digest",
                         "--dry-run")
    assert code == 0
    assert f"no database at {database} yet; the dry run reads an empty one" in err
    assert "Nothing new today." in out.splitlines()
    assert not database.parent.exists()


def test_candidates_none_and_which_general(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    from bot.store.db import Database
    from bot.store.papers import PaperStore

    db = f"sqlite:///{tmp_path / 'candidates.db'}"
    make_database(capsys, catalogue_dir, db)
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "candidates")
    assert out.splitlines()[0] == "No pending candidates"
    assert "None:" not in out
    database = Database.open(db)
    PaperStore(database).record_paper(
        keys=["arxiv:2411.00001"],
        values={"canonical_id": "arxiv:2411.00001", "arxiv_id": "2411.00001",
                "title": "Self-Repair in Residual Streams", "authors": ["Ada Lovelace"], "abstract": "", "abs_url": "https://arxiv.org/abs/2411.00001",
                "pdf_url": "", "links": [], "categories": [], "published": None, "score": 0.7,
                "topics": [{"slug": "component-general", "title": "General", "path": "…", "score": 0.24}],
                "status": "candidate", "listed_entry": None},
        feed="arxiv-test", item_id="item-1", now=database.now())
    database.close()
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "candidates")
    assert out.splitlines()[0] == "1 pending candidate"
    assert "Component › General (0.24)" in out


def test_render_the_awesome_style_to_stdout_or_a_file(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "render", "--style", "awesome")
    assert code == 0
    assert out.startswith("# Awesome LLM Interpretability [![Awesome](https://awesome.re/badge.svg)]")
    target = tmp_path / "readme.md"
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--style", "awesome", "--output",
               str(target))[0] == 0
    assert target.read_text() == out
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "render", "--style", "awesome", "--output",
                       str(target), "--check")
    assert code == 0
    assert "is up to date" in out


def test_a_stale_rendered_file_names_the_command_that_rewrites_that_file(capsys, catalogue_dir: Path,
                                                                         tmp_path: Path) -> None:
    """`render --style awesome` alone writes to standard output: the hint for a stale --output file must name it."""
    target = tmp_path / "awesome readme.md"
    target.write_text("# old\n")
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "render", "--style", "awesome", "--output",
                       str(target), "--check")
    assert code == 1
    assert f"run `interp-bot --catalogue {catalogue_dir} render --style awesome --output '{target}'`" in err
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--style", "awesome", "--output",
               str(target))[0] == 0
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--style", "awesome", "--output",
               str(target), "--check")[0] == 0


def console_session(capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    lines: str) -> tuple[int, str]:
    """`interp-bot console` with `lines` typed into it (a database made first): its exit code and output."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    make_database(capsys, catalogue_dir, url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--db", url, "console")
    return code, out


def test_a_console_vote_line_without_its_number_gets_the_votes_usage(capsys, catalogue_dir: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`:white_check_mark:` alone (or `:x: twelve`) answered "Unknown command" and the whole help."""
    code, out = console_session(capsys, catalogue_dir, tmp_path, monkeypatch, ":white_check_mark:\n:x: twelve\n")
    assert code == 0
    assert "Unknown command" not in out
    assert out.count("vote needs an emoji and a candidate number") == 2
    assert "Usage: `vote EMOJI ID [--remove]`" in out


def test_a_console_vote_line_typed_as_the_emoji_itself_without_its_number_gets_the_votes_usage(
        capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`✅ 12` votes (the help says the emoji itself works), but `✅` alone or `✅ twelve` answered "Unknown
    command" and the whole help."""
    code, out = console_session(capsys, catalogue_dir, tmp_path, monkeypatch, "\u2705\n\u2705 twelve\n")
    assert code == 0
    assert "Unknown command" not in out
    assert out.count("vote needs an emoji and a candidate number") == 2


def test_a_dotenv_not_saved_as_utf8_is_named_in_one_line(capsys, catalogue_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(b"INTERP_BOT_APPROVALS_NEEDED=2\nINTERP_BOT_TIMEZONE=Europe/Berl\xe9n\n")
    code, _out, err = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 3
    assert err == "interp-bot: configuration error: .env: line 2: not UTF-8 text (byte 0xe9); save it as UTF-8\n"
    (tmp_path / ".env").write_text("INTERP_BOT_APPROVALS_NEEDED=2\n", encoding="utf-16")  # Notepad's "Unicode"
    code, _out, err = run(capsys, "--catalogue", str(catalogue_dir), "topic", "probing")
    assert code == 3 and err.startswith("interp-bot: configuration error: .env: line 1: not UTF-8 text (byte 0xff)")


def test_a_file_at_the_database_path_that_is_not_a_database_is_one_line(capsys, catalogue_dir: Path,
                                                                         tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_text("these are my notes, not a database\n" * 200)
    code, _out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{path}", "status")
    assert code == 1
    assert err == (f"interp-bot: the database at sqlite:///{path} cannot be used: file is not a database\n")
    assert path.read_text().startswith("these are my notes"), "nothing written into it"


def test_an_expiry_too_far_to_count_is_refused_at_start(capsys, catalogue_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERP_BOT_CANDIDATE_EXPIRY_DAYS", "100000000")  # meant as "never": dates stop at 9999
    code, _out, err = run(capsys, "--catalogue", str(catalogue_dir), "candidates")
    assert code == 3
    assert "INTERP_BOT_CANDIDATE_EXPIRY_DAYS: Input should be less than or equal to 36500" in err


def test_a_mistyped_database_path_is_an_error_not_an_empty_list(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    """`candidates` answered "No pending candidates", `decide 12 approve` "no candidate #12" and `lessons` "No lessons
    yet" from a database they had just created at the mistyped path (directory included)."""
    missing = tmp_path / "no-such-dir" / "bot.db"
    for command in (("candidates",), ("decide", "12", "approve"), ("lessons",), ("lessons", "--forget", "12")):
        code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{missing}", *command)
        assert code == 1, command
        assert err.startswith(f"interp-bot: no database at {missing}: it is made when the bot first starts"), err
        assert "No pending candidates" not in out
    assert not missing.parent.exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_nothing_to_look_at_from_another_process(capsys, catalogue_dir: Path,
                                                                          url: str) -> None:
    """`status` over sqlite:// said "schema version 0: start the bot once", which no start would ever change, and
    `candidates` answered from a new, empty database of its own."""
    for command in (("status",), ("candidates",), ("decide", "1", "approve"), ("lessons",)):
        code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", url, *command)
        assert code == 1, command
        assert err.startswith("interp-bot: sqlite:// is an in-memory database: it lives only inside the process "
                              "that made it"), err
        assert "set INTERP_BOT_DATABASE_URL to a file, such as sqlite:///interp-bot.db" in err
        assert "No pending candidates" not in out


@pytest.mark.parametrize("command", [("digest",), ("links",), ("console",)])
def test_an_in_memory_database_is_refused_by_the_commands_that_would_use_it_too(capsys, catalogue_dir: Path,
                                                                                monkeypatch, command) -> None:
    """Each thread opens its own sqlite:// database, empty and without tables: `digest`, `run`, `poll` and a console
    vote failed with "no such table" and a traceback, and `links` and the console's `candidates` answered from an
    empty database of their own."""
    monkeypatch.setattr("sys.stdin", io.StringIO("approve 1\ncandidates\n"))
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", "sqlite://", *command)
    assert code == 1, (out, err)
    assert err.startswith("interp-bot: sqlite:// is an in-memory database: it lives only inside the process "
                          "that made it"), err
    assert "Traceback" not in err and "no such table" not in err
    assert "No pending candidates" not in out and "never checked" not in out


@pytest.mark.parametrize("command", [("decide", "٣", "approve"), ("recent", "٣"), ("lessons", "--forget", "３"),
                                     ("search", "induction", "--limit", "²")])
def test_numbers_are_ascii_digits_as_in_the_console_and_chat(capsys, catalogue_dir: Path, command: tuple) -> None:
    """int() takes Arabic-Indic, full-width and other digits: `decide ٣ approve` voted on candidate #3, which the
    console (and chat) would have refused as not a number."""
    with pytest.raises(SystemExit) as exit_:
        main(["--catalogue", str(catalogue_dir), *command])
    assert exit_.value.code == 2
    number = command[1] if command[0] == "decide" else command[-1]
    captured = capsys.readouterr()
    assert f"{number!r} is not a whole number" in captured.err
    assert captured.out == ""


def test_status_json_counts_every_paper_status_even_at_zero(capsys, catalogue_dir: Path, tmp_path: Path) -> None:
    """operations.md's monitoring reads `papers.candidate`: a fresh database must give 0, not a missing key (which
    jq's `!= 0` takes for non-zero). The text still lists only what there is."""
    db = f"sqlite:///{tmp_path}/z.db"
    make_database(capsys, catalogue_dir, db)
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "status", "--json")
    papers = json.loads(out)["papers"]
    assert papers == {"seen": 0, "candidate": 0, "approved": 0, "rejected": 0, "expired": 0, "listed": 0,
                      "rejected upstream": 0}
    _, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "status")
    assert "papers: none yet" in out


def test_classify_without_a_database_makes_none(capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """classify learns from the decisions of a database that exists; it must not leave an empty one behind, which
    `candidates` would then answer from as if it were the bot's."""
    import io

    missing = tmp_path / "not-yet" / "bot.db"
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"title": "Sparse Autoencoders in Llama 3"}) + "\n"))
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{missing}", "classify")
    assert code == 0 and json.loads(out)["relevant"] is True
    assert not missing.parent.exists()


def test_classify_says_when_the_decisions_of_a_database_it_cannot_use_are_left_out(
        capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """A database of an older schema (the bot upgraded, not started since): classify still scores, with the
    shipped model alone, and says so, not scores silently different from the bot's."""
    import io
    import sqlite3

    db = tmp_path / "bot.db"
    make_database(capsys, catalogue_dir, f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = version - 1")
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"title": "Sparse Autoencoders in Llama 3"}) + "\n"))
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{db}", "classify")
    assert code == 0 and json.loads(out)["relevant"] is True
    assert "the maintainers' decisions were not read, so the scores are the shipped model's alone" in err
    assert "to migrate it" in err


@pytest.mark.parametrize(("old", "new", "expected"), [
    # The importer knows the line: the catalogue keeps absolute web addresses only.
    ("(https://github.com/alan-cooney/CircuitsVis)", "(./docs/circuitsvis.md)",
     "line 14: the link 'github' goes to './docs/circuitsvis.md', not an absolute http(s) URL"),
    ("(https://github.com/alan-cooney/CircuitsVis)", "(https://github.com/alan-cooney/CircuitsVis?" + "x" * 2000 + ")",
     "line 14: the link 'github' is 2,043 characters long: the list keeps links of at most 2,000"),
    # What only loading the result finds: named in the files it would have written.
    ("[[github]](https://github.com/alan-cooney/CircuitsVis)", "[[ ]](https://github.com/alan-cooney/CircuitsVis)",
     "the import would not be a valid catalogue, so"),
])
def test_import_markdown_force_keeps_the_old_catalogue_when_the_import_is_bad(
        capsys, catalogue_dir: Path, tmp_path: Path, old: str, new: str, expected: str) -> None:
    """--force deleted the old files first: an import that did not load left neither list."""
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "list.md"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    (catalogue_dir / "library.yaml").write_text((catalogue_dir / "library.yaml").read_text(encoding="utf-8")
                                                + "# a maintainer's comment\n", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in catalogue_dir.glob("*.yaml")}
    code, _, err = run(capsys, "--catalogue", str(catalogue_dir), "import-markdown", str(bad), "--force")
    assert code == 1
    assert expected in err and "Traceback" not in err
    assert {path.name: path.read_bytes() for path in catalogue_dir.glob("*.yaml")} == before
    assert run(capsys, "--catalogue", str(catalogue_dir), "render", "--check")[0] == 0


def test_a_missing_catalogue_directory_says_where_it_looked_and_how_to_name_it(capsys, tmp_path: Path) -> None:
    """It said "the catalogue is invalid (1 problem): catalogue: catalogue directory not found"."""
    missing = tmp_path / "nowhere"
    code, _, err = run(capsys, "--catalogue", str(missing), "topic", "sae")
    assert code == 1
    assert err.strip() == (f"interp-bot: no catalogue at {missing}: run interp-bot from the list's checkout, or name "
                           "the directory with --catalogue DIR or INTERP_BOT_CATALOGUE_DIR")


def test_decide_reject_ignores_its_topic_as_it_says(capsys, catalogue_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """`--topic` is ignored on a rejection, so a slug that names no topic must not stop the rejection."""
    db, (paper_id,) = _decide_env(monkeypatch, tmp_path, "")
    code, out, err = run(capsys, "--catalogue", str(catalogue_dir), "--db", db, "decide", str(paper_id), "reject",
                         "--topic", "no-such-topic")
    assert "--topic no-such-topic is ignored" in err
    assert code == 0, err
    assert f"candidate #{paper_id} rejected" in out


def test_the_readme_quotes_what_paper_answers_when_it_finds_nothing(capsys, catalogue_dir: Path) -> None:
    """The README's command list said `paper` answers "not on the list", which it no longer says of a title (a paper
    can be listed under another title): each phrase it quotes is what a reader sees."""
    line = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("interp-bot paper "))
    untitled, unlinked = re.findall(r'"([^"]+)"', line)
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "paper", "Function Vectors in Large Language Models")
    assert code == 1
    assert out.lower().startswith(untitled.lower())
    code, out, _ = run(capsys, "--catalogue", str(catalogue_dir), "paper", "arXiv:2411.17700")
    assert code == 1
    assert out.lower().startswith(unlinked.lower())
