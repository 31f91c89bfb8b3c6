"""The maintainers' curation commands on Slack (`/interp candidates`, `approve`, `reject`, `vote`, `✅ 12`), as
`interp-bot run` wires them: the App builds the Slack adapter by name and registers the commands when it starts.
The real bolt app over Socket Mode against the loopback fake Slack; decisions land in a scratch catalogue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.catalogue.yaml_io import load_catalogue
from bot.cli import main
from bot.settings import Maintainer
from tests.e2e.papers import add_paper
from tests.e2e.slack.conftest import MAINTAINERS_CHANNEL, RecordingVotes, slack_settings
from tests.fakes.slack_fake import FakeSlack, FakeTime, reaction_event, sample

MAINTAINER = "U0MAINT01"
OUTSIDER = "U0OUTSIDE"
TITLE = "Linear probes find a truth direction in chat models"
HELD_BACK = "A sparse dictionary of chess features, held back"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override with @pytest.mark.parametrize to change the bot's settings."""
    return {}


@pytest.fixture
async def app(fake: FakeSlack, catalogue_dir: Path, tmp_path: Path, fake_time: FakeTime,
              settings_overrides: dict[str, object]) -> AsyncIterator[App]:
    # Lookups answer in the channel here (INTERP_BOT_SLACK_EPHEMERAL=false): the maintainers' commands still answer
    # the asker alone.
    settings = slack_settings(fake, **{
        "approvals_needed": 2, "slack_maintainer_user_ids": [MAINTAINER], "slack_ephemeral": False,
        "catalogue_dir": catalogue_dir, "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "feeds_file": tmp_path / "no-feeds.yaml", **settings_overrides})
    app = App(settings)
    adapter = app.add_adapter("slack", clock=fake_time.clock, sleep=fake_time.sleep)
    adapter.curation = RecordingVotes(app.curation)  # reactions still go to the real curation; a test can wait
    await app.start(scheduler=False)
    yield app
    await app.stop()


async def ask(fake: FakeSlack, text: str, *, user: str = MAINTAINER) -> dict[str, Any]:
    """`/interp TEXT` from `user`; the answer the bot sends to the command's response_url."""
    name = f"r{len(fake.responses)}-{len(fake.timeline)}"
    await fake.push("slash_commands", sample("slash_command", text=text, user_id=user,
                                             response_url=fake.response_url(name)))
    await fake.wait_for(lambda: any(n == name for n, _ in fake.responses), within=10)
    return next(body for n, body in fake.responses if n == name)


def shown(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks", []), ensure_ascii=False)


def listed_titles(app: App) -> list[str]:
    return [entry.title for entry in app.curation.catalogue.index.catalogue.entries]


async def test_a_maintainer_lists_the_pending_candidates_for_their_eyes_only(fake, app) -> None:
    add_paper(app, TITLE, "2611.00042")
    answer = await ask(fake, "candidates")
    assert answer["text"].startswith("Pending candidates")
    assert TITLE in shown(answer)
    # What to do next, as typed here (it named the console's commands, and an empty list `interp-bot poll`)
    assert "/interp approve ID [--topic SLUG]" in shown(answer)
    assert answer["response_type"] == "ephemeral"  # though lookups answer in the channel here
    assert (await ask(fake, "topic probing"))["response_type"] == "in_channel"
    assert (await ask(fake, f"reject {app.curation.papers.candidates()[0].id}"))["text"].startswith("Candidate #")
    empty = shown(await ask(fake, "candidates"))
    assert "No pending candidates" in empty and "interp-bot" not in empty


async def test_candidates_all_shows_what_the_daily_budget_held_back(fake, app) -> None:
    add_paper(app, TITLE, "2611.00042")
    paper_id = add_paper(app, HELD_BACK, "2611.00043", held_back=True)
    assert HELD_BACK not in shown(await ask(fake, "candidates"))
    every = await ask(fake, "candidates --all")
    assert f"#{paper_id} {HELD_BACK}" in shown(every)
    assert "held back" in every["text"]


async def test_approve_with_a_topic_from_slack_lists_the_paper_there_and_edits_its_post(fake, app) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    assert await app.curation.publish_pending() == 1
    answer = await ask(fake, f"approve {paper_id} --topic sparse-coding")
    assert answer["text"].startswith(f"Candidate #{paper_id} approved")
    entry = next(e for e in app.curation.catalogue.index.catalogue.entries if e.title == TITLE)
    assert entry.topics == ("sparse-coding",)
    assert TITLE in (app.settings.catalogue_dir / "README.md").read_text(encoding="utf-8")
    (update,) = await fake.wait_for_call("chat.update")
    assert update.params["ts"] == fake.messages[MAINTAINERS_CHANNEL][0].ts
    assert "Added" in update.params["text"]


async def test_reject_from_slack_decides(fake, app) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    assert (await ask(fake, f"reject {paper_id}"))["text"].startswith(f"Candidate #{paper_id} rejected")
    assert app.curation.papers.paper(paper_id).status == "rejected"


@pytest.mark.parametrize("typed", ["vote white_check_mark {id}", ":white_check_mark: {id}", "✅ {id}"])
async def test_a_reaction_and_a_vote_command_from_one_maintainer_are_one_vote(fake, app, typed: str) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    assert await app.curation.publish_pending() == 1
    ts = fake.messages[MAINTAINERS_CHANNEL][0].ts
    envelope = await fake.push("events_api", reaction_event("reaction_added", user=MAINTAINER,
                                                            reaction="white_check_mark", channel=MAINTAINERS_CHANNEL,
                                                            ts=ts, event_id="Ev0REACTED"))
    await fake.wait_ack(envelope)
    assert [o.reason for o in await app.adapters[0].curation.wait_for(1)] == ["counted"]
    answer = await ask(fake, typed.format(id=paper_id))
    assert "already counted: 1 of 2 approvals" in answer["text"]
    assert app.curation.store.decision(paper_id) is None  # two approvals needed: one person is one


async def test_a_typed_vote_counts_as_the_maintainers_reaction(fake, app) -> None:
    paper_id = add_paper(app, HELD_BACK, "2611.00043", held_back=True)
    answer = await ask(fake, f":+1::skin-tone-3: {paper_id}")  # as Slack writes a thumbs up with a skin tone
    assert answer["text"].startswith(f"Vote recorded on candidate #{paper_id}\ncounted: 1 of 2 approvals")
    assert app.curation.papers.paper(paper_id).status == "candidate"  # a vote puts a held-back paper forward


@pytest.mark.parametrize("settings_overrides", [{"slack_maintainer_user_ids": [],
                                                 "maintainers": [Maintainer(name="ada", slack=[MAINTAINER])]}])
async def test_a_vote_command_stays_the_maintainers_when_the_list_renames_them(fake, app, capsys,
                                                                               monkeypatch) -> None:
    """The tally counts a standing vote for whom its platform id is under the list configured now: a vote typed
    on Slack was stored under the name alone, and after the list renamed its maintainer it counted for no one."""
    paper_id = add_paper(app, TITLE, "2611.00042")
    answer = await ask(fake, f"✅ {paper_id}")
    assert answer["text"].startswith(f"Vote recorded on candidate #{paper_id}\ncounted: 1 of 2 approvals")
    # A restart with ada renamed (her Slack id the same); here a shell with that list, where bob votes.
    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", f"[{{name: Ada L, slack: [{MAINTAINER}]}}, {{name: bob}}]")
    args = ["--catalogue", str(app.settings.catalogue_dir), "--db", app.settings.database_url, "decide",
            str(paper_id), "approve", "--as", "bob"]
    assert await asyncio.to_thread(main, args) == 0
    assert "approved: added to probing" in capsys.readouterr().out
    entry = next(e for e in load_catalogue(app.settings.catalogue_dir).entries if e.title == TITLE)
    assert entry.approved_by == ("Ada L", "bob")


@pytest.mark.parametrize("typed", ["candidates", "approve {id} --topic sparse-coding", "reject {id}",
                                   "vote white_check_mark {id}", "✅ {id}"])
async def test_a_non_maintainer_is_refused_and_nothing_changes(fake, app, typed: str) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    answer = await ask(fake, typed.format(id=paper_id), user=OUTSIDER)
    assert "is for the list's maintainers" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert app.curation.papers.paper(paper_id).status == "candidate"
    with app.database.transaction() as conn:
        assert app.curation.store.votes(conn, paper_id) == []
    assert TITLE not in listed_titles(app)


@pytest.mark.parametrize(("typed", "problem"), [
    ("approve twelve", "approve needs a candidate number"),
    ("approve 12 --topic", "--topic needs a topic slug (see `topics`)"),
    ("reject", "reject needs a candidate number"),
    ("✅ twelve", "vote needs an emoji and a candidate number"),
    ("candidates everything", "candidates takes only --all"),
])
async def test_bad_usage_gets_the_usage(fake, app, typed: str, problem: str) -> None:
    answer = await ask(fake, typed)
    assert answer["text"].startswith(problem)
    assert "Usage:" in shown(answer)


async def test_help_lists_the_maintainers_commands_as_theirs(fake, app) -> None:
    text = shown(await ask(fake, "help", user=OUTSIDER))
    for usage in ("candidates [--all]", "approve ID [--topic SLUG]", "reject ID", "vote EMOJI ID [--remove]"):
        assert usage in text
    assert "(maintainers)" in text


async def test_the_digest_names_the_slash_command_that_lists_what_was_held_back(fake, app) -> None:
    """It said "`interp-bot candidates --all` lists them" to maintainers who have no shell on Slack."""
    add_paper(app, HELD_BACK, "2611.00043", held_back=True)
    result = await app.digest()
    (digest,) = fake.messages[app.settings.slack_digest_channel]
    assert "1 more relevant paper(s) held back by the daily budget (`/interp candidates --all` lists them)" \
        in digest.text
    assert "`interp-bot candidates --all` lists them" in result.post.reply.text  # what the shell prints


async def test_commands_in_flight_do_not_take_the_threads_curation_waits_for(fake, app) -> None:
    """A maintainer's command waits in its worker thread while curation works on the loop, and that work needs a
    thread of the loop's default pool (the database). Commands ran in that same pool: as many in flight as it has
    threads (six on a two-core server, a maintainer firing off approvals; one here) held every thread, waiting for
    work that could never get one, and the whole bot stalled for loop_runner's two minutes."""
    paper_id = add_paper(app, TITLE, "2611.00042")
    pool = ThreadPoolExecutor(max_workers=1)
    asyncio.get_running_loop().set_default_executor(pool)
    answer = await ask(fake, f"vote white_check_mark {paper_id}")
    assert answer["text"].startswith(f"Vote recorded on candidate #{paper_id}")
