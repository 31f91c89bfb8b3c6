"""Approvals become pull requests on the list's repository, and their fate comes back: real git pushes to a bare
repository over HTTP, the REST calls to the loopback GitHub."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from bot.chat.values import Vote
from bot.curation.pipeline import Curation
from bot.errors import GitHubError
from bot.github.publisher import PREFIX, Publisher
from bot.settings import Maintainer
from bot.store.github import GitHubStore
from tests.conftest import retitle_topic
from tests.fakes.github_fake import RIGHTS, FakeGitHub, Pull, git
from tests.github.conftest import TOKEN, Loop


def branch_files(github: FakeGitHub, branch: str) -> list[str]:
    base = github.head(github.default_branch)
    return subprocess.run(["git", "diff", "--name-only", f"{base}...{branch}"], cwd=github.bare, check=True,
                          capture_output=True, text=True).stdout.split()


async def test_two_approvals_in_a_day_make_one_pull_request_with_two_commits(loop: Loop) -> None:
    github = loop.github
    await loop.approve(1)
    first = await loop.publisher.run_round()
    assert any(line.startswith("pull request #1 opened") for line in first.lines), first.lines
    await loop.approve(2)
    await loop.publisher.run_round()

    assert list(github.pulls) == [1], "the second approval updates the day's pull request"
    pull = github.pulls[1]
    assert pull.head.startswith(PREFIX)
    assert pull.base == "main"
    assert github.log(pull.head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list",
        "Add “Sparse Autoencoders Find Feature Family 1 in Language Models” to the list",
    ]
    assert sorted(branch_files(github, pull.head)) == [
        "README.md", "catalogue/README.md", "catalogue/tools-techniques-methods.yaml"]
    front_page = github.show("README.md", pull.head)  # what readers see on GitHub: the list, with both papers
    assert front_page == github.show("catalogue/README.md", pull.head)
    assert "Sparse Autoencoders Find Feature Family 2 in Language Models" in front_page
    assert pull.title == f"Add 2 papers approved on {pull.head.removeprefix(PREFIX)}"
    for n in (1, 2):
        assert (f"[Sparse Autoencoders Find Feature Family {n} in Language Models]"
                f"(https://arxiv.org/abs/2411.{20000 + n:05d})") in pull.body
    assert "| Paper & Blog › By Topic › Tools/Techniques/Methods › Sparse Coding |" in pull.body
    assert "alice (discord), bob (slack)" in pull.body
    assert github.find("PATCH", f"/repos/{github.repo}/pulls/1"), "the body was updated with the second paper"


async def test_a_pull_request_names_a_maintainer_the_list_renamed_with_the_platform_they_voted_on(loop: Loop) -> None:
    """Alice voted on Discord, then the list renamed her (her ids the same) before Bob's vote decided: the decision
    names her as the list does now, and the pull request said "alice k (chat)", her vote looked up by the old name."""
    paper_id = loop.add_candidate(1)
    for platform in ("discord", "slack"):
        loop.curation.store.record_post(key=f"candidate:{paper_id}", kind="candidate", paper_id=paper_id,
                                        platform=platform, channel_id=f"{platform}-chan",
                                        message_id=f"{platform}-msg-{paper_id}")

    def vote(platform: str, user: str) -> Vote:
        return Vote(platform=platform, user_id=user, channel_id=f"{platform}-chan",
                    message_id=f"{platform}-msg-{paper_id}", emoji="white_check_mark", event_id=uuid.uuid4().hex)

    assert (await loop.curation.handle_vote(vote("discord", "111"))).reason == "counted"
    renamed = loop.settings.model_copy(update={"maintainers": [
        Maintainer(name="alice k", discord=["111"], slack=["U111"]),
        Maintainer(name="bob", discord=["222"], slack=["U222"])]})
    curation = Curation(loop.database, loop.catalogue, renamed)  # the bot restarted with the new list
    curation.publisher = publisher = Publisher(renamed, curation)
    assert (await curation.handle_vote(vote("slack", "U222"))).decision == "approved"
    await publisher.run_round()
    assert "alice k (discord), bob (slack)" in loop.github.pulls[1].body


async def test_a_pull_request_says_when_it_undoes_hand_edits_of_the_front_page(loop: Loop) -> None:
    """The front page is rendered from the YAML: a section added to it on GitHub was deleted by the next
    approval's pull request, titled "Add 1 paper", with nothing saying so."""
    note = "This pull request renders it from the YAML, which undoes any edits made to it by hand"
    await loop.approve(1)
    await loop.publisher.run_round()
    assert note in loop.github.pulls[1].body  # the fixture's front page was never rendered from the YAML
    loop.github.merge(1)
    await loop.publisher.run_round()
    await loop.approve(2)
    await loop.publisher.run_round()
    assert note not in loop.github.pulls[2].body  # rendered since

    def add_section(work: Path) -> None:
        page = work / "README.md"
        page.write_text(page.read_text() + "\n## Contributing\n\nRead CONTRIBUTING.md first.\n")

    loop.github.commit(add_section, "Add a Contributing section")
    await loop.approve(3)
    await loop.publisher.run_round()
    assert list(loop.github.pulls) == [1, 2]
    assert f"**Note:** `README.md` on the default branch is not what the list renders to (edited by hand, or never " \
           f"rendered from the YAML). {note}" in loop.github.pulls[2].body


async def test_a_description_github_failed_to_update_is_sent_again_next_round(loop: Loop) -> None:
    """One 502 on the PATCH left the title at 'Add 1 paper' and the table without the second paper for good: later
    rounds pushed nothing new, so they never touched the description."""
    await loop.approve(1)
    await loop.publisher.run_round()
    await loop.approve(2)
    loop.github.failing_updates = 1
    with pytest.raises(GitHubError):  # the round fails on GitHub's 502 (the scheduler logs it); the next one mends
        await loop.publisher.run_round()
    assert loop.github.pulls[1].title.startswith("Add 1 paper ")
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]
    assert pull.title.startswith("Add 2 papers ")
    assert "Feature Family 2 in Language Models" in pull.body
    patches = len(loop.github.find("PATCH", f"/repos/{loop.github.repo}/pulls/1"))
    await loop.publisher.run_round()  # nothing new: GitHub already shows it, so no PATCH
    assert len(loop.github.find("PATCH", f"/repos/{loop.github.repo}/pulls/1")) == patches


async def test_each_request_carries_the_token_as_a_header_never_in_a_url(loop: Loop, tmp_path: Path) -> None:
    await loop.approve(1)
    await loop.publisher.run_round()
    assert loop.github.git_requests, "git talked to the fake over HTTP"
    for call in loop.github.calls + loop.github.git_requests:
        assert TOKEN not in call.path
        assert call.headers.get("Authorization"), call.path
    config = (tmp_path / "list" / ".git" / "config").read_text()
    assert TOKEN not in config
    assert "extraheader" not in config.lower(), "the header lives in git's environment, not in the clone"


async def test_a_merge_is_announced_once_and_reaches_the_digest(loop: Loop) -> None:
    from bot.curation.digest import run_digest

    await loop.approve(1)
    await loop.publisher.run_round()
    loop.github.merge(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was merged: https://github.com/interp-test/awesome-llm-interpretability/pull/1" in \
        report.lines
    await loop.publisher.run_round()
    said = loop.console.getvalue()
    assert said.count("Merged on GitHub: pull request #1") == 1
    assert "https://github.com/interp-test/awesome-llm-interpretability/pull/1" in said
    assert GitHubStore(loop.database).count_by_state() == {"merged": 1}

    digest = await run_digest(loop.curation, loop.settings, dry_run=True)
    titles = [item.title for item in digest.post.reply.items]
    assert "Merged on GitHub: pull request #1" in titles
    assert "1 pull request(s) merged on GitHub" in digest.post.reply.text


@pytest.mark.parametrize("ended", ["merged", "closed"])
async def test_a_round_stopped_after_recording_a_pull_requests_end_is_finished_by_the_next(loop: Loop,
                                                                                           ended: str) -> None:
    """Its end was recorded, then the round stopped (a kill; a 502 while reading what the merge holds) before
    its papers were: they stayed "published" under it for good, the merge was announced with 0 papers, and a
    closed pull request's papers were still served as approved."""
    paper = await loop.approve(1)
    await loop.publisher.run_round()
    branch = loop.github.pulls[1].head
    if ended == "merged":
        loop.github.merge(1)
    else:
        loop.github.close(1)
    store = GitHubStore(loop.database)
    assert store.close_pull_request(branch, ended, loop.database.now())  # where the stopped round left it
    await loop.publisher.run_round()
    publication = store.publication(paper)
    assert publication is not None
    assert publication.state == ended
    said = loop.console.getvalue()
    if ended == "merged":
        assert "Merged on GitHub: pull request #1" in said and "0 paper" not in said
    else:
        assert loop.curation.papers.paper(paper).status == "rejected upstream"


async def test_a_paper_taken_out_of_the_pull_request_is_not_announced_as_on_the_list(loop: Loop) -> None:
    """A reviewer removes one of two papers from the bot's branch, then merges: the bot used to mark both merged and
    say '2 papers are now on the list'."""
    kept, dropped = await loop.approve(1), await loop.approve(2)
    await loop.publisher.run_round()
    branch = loop.github.pulls[1].head

    def take_out_family_2(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        lines = path.read_text().splitlines(keepends=True)
        title = next(i for i, line in enumerate(lines) if "Feature Family 2 in Language Models" in line)
        start = max(i for i in range(title + 1) if lines[i].lstrip().startswith("- id:"))
        indent = len(lines[start]) - len(lines[start].lstrip())
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) <= indent), len(lines))
        path.write_text("".join(lines[:start] + lines[end:]))

    loop.github.commit(take_out_family_2, "Not this one", branch=branch)
    loop.github.merge(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was merged: https://github.com/interp-test/awesome-llm-interpretability/pull/1 " \
           "(1 approved paper(s) were not in it)" in report.lines
    said = loop.console.getvalue()
    assert "1 paper is now on the list" in said
    assert "Pull request #1 was merged without 1 approved paper(s)" in said
    assert "Sparse Autoencoders Find Feature Family 2 in Language Models. They are marked rejected upstream" in said
    assert GitHubStore(loop.database).count_by_state() == {"merged": 1, "closed": 1}
    assert loop.curation.papers.paper(kept).status == "approved"
    assert loop.curation.papers.paper(dropped).status == "rejected upstream"
    await loop.publisher.run_round()
    assert loop.console.getvalue().count("was merged without") == 1  # said once


async def test_an_approval_pushed_just_after_a_merge_goes_to_the_next_pull_request_not_rejected(loop: Loop) -> None:
    """A maintainer merges while an approval's round runs: after the round read the pull request as open, before it
    pushed the new paper to its branch. The paper never was in the merge, and nobody took it out: it used to be
    marked rejected upstream, the maintainers told to add it by hand."""
    await loop.approve(1)
    await loop.publisher.run_round()
    loop.github.after_read[1] = lambda: loop.github.merge(1)
    late = await loop.approve(2)
    await loop.publisher.run_round()
    assert loop.github.pulls[1].merged
    report = await loop.publisher.run_round()
    assert "pull request #1 was merged: https://github.com/interp-test/awesome-llm-interpretability/pull/1" in \
        report.lines
    assert "pull request #2 opened: https://github.com/interp-test/awesome-llm-interpretability/pull/2" in report.lines
    assert "Feature Family 2 in Language Models" in loop.github.pulls[2].body
    assert loop.github.log(loop.github.pulls[2].head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list"]
    said = loop.console.getvalue()
    assert "1 paper is now on the list" in said
    assert "merged without" not in said
    assert loop.curation.papers.paper(late).status == "approved"
    assert GitHubStore(loop.database).count_by_state() == {"merged": 1, "published": 1}


async def test_an_approval_pushed_just_after_a_close_goes_to_the_next_pull_request_not_rejected(loop: Loop) -> None:
    """A maintainer closes the day's pull request while an approval's round runs, after the round read it open and
    before it pushed the new paper: the paper was never in what they closed, yet it was marked rejected upstream with
    the others (never proposed again, learned as a rejection) and named in the channel's "Closed without merging"."""
    first = await loop.approve(1)
    await loop.publisher.run_round()
    loop.github.after_read[1] = lambda: loop.github.close(1)
    late = await loop.approve(2)
    await loop.publisher.run_round()
    report = await loop.publisher.run_round()
    assert "pull request #1 was closed without merging: 1 paper(s) marked rejected upstream" in report.lines
    assert "pull request #2 opened: https://github.com/interp-test/awesome-llm-interpretability/pull/2" in report.lines
    assert loop.github.log(loop.github.pulls[2].head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list"]
    said = loop.console.getvalue()
    closed = said[said.index("Closed without merging: pull request #1"):]
    assert "Feature Family 1 in Language Models" in closed
    assert "Feature Family 2 in Language Models" not in closed
    assert loop.curation.papers.paper(first).status == "rejected upstream"
    assert loop.curation.papers.paper(late).status == "approved"
    assert "Sparse Autoencoders Find Feature Family 2 in Language Models" in loop.topic_titles("sparse coding")


async def test_a_push_someone_raced_is_said_as_rejected_on_one_line_and_done_next_round(loop: Loop) -> None:
    """Someone pushes to the bot's branch between its fetch and its push: git's reason was on stdout (--porcelain),
    the round said only "`git push --porcelain` failed: error: failed to push some refs to ..." and git's hints."""
    await loop.approve(1)
    await loop.publisher.run_round()
    branch = loop.github.pulls[1].head
    loop.github.after_read[1] = lambda: loop.github.commit(lambda work: (work / "NOTES.md").write_text("hi\n"),
                                                           "A note", branch=branch)
    await loop.approve(2)
    with pytest.raises(GitHubError, match=r"^git push was rejected: refs/heads/interp-bot/\S+ \[rejected\] "
                                          r"\(fetch first\)$"):
        await loop.publisher.run_round()
    await loop.publisher.run_round()
    assert loop.github.log(branch, since="main")[:2] == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list", "A note"]


async def test_a_protected_default_branch_in_push_mode_says_what_github_said_and_what_to_change(
        loop_factory) -> None:  # type: ignore[no-untyped-def]
    """GitHub's branch protection refused every push: it was taken for a push someone raced ("git push was
    rejected: refs/heads/main [remote rejected] (protected branch hook declined)", which the docs say needs nothing
    done), GitHub's own words (GH006) were dropped, the maintainers were not told, and approvals waited forever."""
    from bot.errors import GitHubAccessError

    loop = await loop_factory(github_mode="push")
    loop.github.protect("main")
    paper_id = await loop.approve(1)
    for _ in range(2):
        with pytest.raises(GitHubAccessError) as raised:
            await loop.publisher.run_round()
    assert str(raised.value) == (
        "GitHub refused the push to main of interp-test/awesome-llm-interpretability (git: (pre-receive hook "
        "declined) GH006: Protected branch update failed for refs/heads/main. Changes must be made through a pull "
        "request.): push mode needs a default branch GITHUB_TOKEN may push to: let the token bypass the branch's "
        "protection or rules, or set INTERP_BOT_GITHUB_MODE=pull-request")
    assert loop.console.getvalue().count("Publishing to GitHub is stopped") == 1, "the maintainers hear it once"
    assert GitHubStore(loop.database).publication(paper_id).state == "pending"

    loop.github.protect("main", protected=False)  # or the token may bypass it now
    assert "pushed 1 paper(s) to main" in (await loop.publisher.run_round()).lines


async def test_a_rebuild_github_refuses_for_a_workflow_change_says_what_lets_it_through(loop: Loop) -> None:
    """The default branch changed a workflow file (say, a dependabot update of an action) under an open pull request:
    the bot's rebuild of its branch on it brings that change along, which GitHub refuses to a token without
    Workflows: Read and write. It was said as a push someone raced, to be retried: every round failed the same."""
    from bot.errors import GitHubAccessError

    github = loop.github
    await loop.approve(1)
    await loop.publisher.run_round()
    branch = github.pulls[1].head

    def bump_an_action(work: Path) -> None:
        (work / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
        (work / ".github" / "workflows" / "links.yml").write_text("on: push\n")

    github.commit(bump_an_action, "Bump actions/checkout")
    await loop.approve(2)
    with pytest.raises(GitHubAccessError) as raised:
        await loop.publisher.run_round()
    message = str(raised.value)
    assert message.startswith(f"GitHub refused the push to {branch} of {github.repo} (git: (pre-receive hook "
                              "declined) refusing to allow a Personal Access Token to create or update workflow "
                              "`.github/workflows/links.yml` without `workflows` permission): ")
    assert "Workflows: Read and write" in message and 'Press "Update branch" on its pull request' in message
    assert "Publishing to GitHub is stopped" in loop.console.getvalue()

    github.update_branch(1)  # what the message asks for
    report = await loop.publisher.run_round()
    assert f"pushed {branch} (1 new commit(s))" in report.lines
    assert github.log(branch, since="main")[0] == \
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list"


async def test_an_approval_that_cannot_join_its_branch_is_reported_with_advice_that_works(loop: Loop) -> None:
    """A reviewer breaks the YAML on the bot's branch; the next approval cannot be added there. The notice used to
    say 'approve it again under another topic', which `decide` refuses for a paper already approved."""
    await loop.approve(1)
    await loop.publisher.run_round()
    branch = loop.github.pulls[1].head

    def break_yaml(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        path.write_text(path.read_text() + "\n  - topic: [unclosed\n")

    loop.github.commit(break_yaml, "A slip in review", branch=branch)
    second = await loop.approve(2)
    await loop.publisher.run_round()
    publication = GitHubStore(loop.database).publication(second)
    assert publication is not None and publication.state == "failed"
    assert "tools-techniques-methods.yaml" in (publication.note or "")
    said = loop.console.getvalue()
    assert ("“Sparse Autoencoders Find Feature Family 2 in Language Models” cannot be added to the list on "
            "GitHub") in said
    assert "add it on GitHub by hand" in said
    assert "Approve it again" not in said


async def test_a_closed_pull_request_is_undone_and_never_proposed_again(loop: Loop) -> None:
    paper_id = await loop.approve(1)
    title = "Sparse Autoencoders Find Feature Family 1 in Language Models"
    await loop.publisher.run_round()
    assert title in loop.topic_titles("sparse coding"), "an approval is served while its pull request is open"

    loop.github.close(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was closed without merging: 1 paper(s) marked rejected upstream" in report.lines
    assert title not in loop.topic_titles("sparse coding")
    assert title not in (loop.settings.catalogue_dir / "tools-techniques-methods.yaml").read_text()
    assert loop.curation.papers.paper(paper_id).status == "rejected upstream"
    assert "Closed without merging: pull request #1" in loop.console.getvalue()
    # The same paper in a later poll stays where it is: never a candidate again.
    loop.add_candidate(1)
    assert loop.curation.papers.paper(paper_id).status == "rejected upstream"
    assert loop.curation.papers.candidates() == []


async def test_a_closed_pull_request_leaves_a_paper_added_by_hand_on_the_list(loop: Loop) -> None:
    """A maintainer added one of its papers by hand, then closed the bot's pull request: both papers were marked
    rejected upstream (and learned as rejections), the one on the list too."""
    first, second = await loop.approve(1), await loop.approve(2)
    await loop.publisher.run_round()
    add_upstream_by_hand(loop, "    - id: added-by-hand\n      title: Sparse Autoencoders Find Feature Family 1 in "
                         "Language Models\n      links:\n        - label: arXiv\n          url: "
                         "https://arxiv.org/abs/2411.20001\n", "Add one paper by hand")
    loop.github.close(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was closed without merging: 1 paper(s) marked rejected upstream" in report.lines
    store = GitHubStore(loop.database)
    assert (store.publication(first).state, store.publication(second).state) == ("listed", "closed")
    assert loop.curation.papers.paper(first).status == "approved"
    assert loop.curation.papers.paper(second).status == "rejected upstream"


async def test_a_pull_request_closed_while_the_list_upstream_is_broken_rejects_its_papers(loop: Loop) -> None:
    """Whether the list upstream held them could not be read, and "cannot tell" counted as "holds them": the
    papers were marked listed, served as on the list, and never learned as rejected."""
    paper = await loop.approve(1)
    await loop.publisher.run_round()
    loop.github.commit(lambda work: (work / "catalogue" / "topics.yaml").write_text("topics: [broken\n"),
                       "An edit that breaks the YAML")
    loop.github.close(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was closed without merging: 1 paper(s) marked rejected upstream" in report.lines
    assert GitHubStore(loop.database).publication(paper).state == "closed"
    assert loop.curation.papers.paper(paper).status == "rejected upstream"


async def test_a_closed_pull_request_reopened_and_merged_puts_its_papers_back_on_the_list(loop: Loop) -> None:
    paper_id = await loop.approve(1)
    title = "Sparse Autoencoders Find Feature Family 1 in Language Models"
    await loop.publisher.run_round()
    loop.github.close(1)
    await loop.publisher.run_round()
    assert loop.curation.papers.paper(paper_id).status == "rejected upstream"

    loop.github.reopen(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was reopened: 1 paper(s) approved again" in report.lines
    assert loop.curation.papers.paper(paper_id).status == "approved"
    assert title in loop.topic_titles("sparse coding"), "served again while the pull request is open"
    assert "Reopened on GitHub: pull request #1" in loop.console.getvalue()

    loop.github.merge(1)
    report = await loop.publisher.run_round()
    assert any(line.startswith("pull request #1 was merged") for line in report.lines), report.lines
    assert loop.curation.papers.paper(paper_id).status == "approved"
    assert "Merged on GitHub: pull request #1" in loop.console.getvalue()
    assert loop.topic_titles("sparse coding").count(title) == 1


async def test_a_pull_request_reopened_and_merged_between_two_rounds_is_announced_as_merged(loop: Loop) -> None:
    paper_id = await loop.approve(1)
    await loop.publisher.run_round()
    loop.github.close(1)
    await loop.publisher.run_round()
    loop.github.reopen(1)
    loop.github.merge(1)
    report = await loop.publisher.run_round()
    assert "pull request #1 was reopened: 1 paper(s) approved again" in report.lines
    assert any(line.startswith("pull request #1 was merged") for line in report.lines), report.lines
    publication = GitHubStore(loop.database).publication(paper_id)
    assert publication is not None and publication.state == "merged"
    assert loop.curation.papers.paper(paper_id).status == "approved"


def add_upstream_by_hand(loop: Loop, entry: str, message: str) -> None:
    """A person adds `entry` (YAML, indented as an entry) at the top of Sparse Coding on the default branch."""
    def edit(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        anchor = "- topic: sparse-coding\n  entries:\n"
        text = path.read_text()
        assert anchor in text
        path.write_text(text.replace(anchor, anchor + entry, 1))

    loop.github.commit(edit, message)


async def approved_then_added_by_hand(loop: Loop) -> tuple[int, Pull]:
    """Paper 1 approved and proposed; then someone adds it on the default branch themselves (here: the branch's own
    file, copied)."""
    paper_id = await loop.approve(1)
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]
    path = "catalogue/tools-techniques-methods.yaml"
    theirs = loop.github.show(path, pull.head)
    loop.github.commit(lambda work: (work / path).write_text(theirs), "Add the SAE paper by hand")
    return paper_id, pull


async def test_a_pull_request_whose_paper_was_added_by_hand_upstream_is_closed_not_left_to_duplicate_it(
        loop: Loop) -> None:
    """Someone adds the approved paper on the default branch themselves (here: the branch's own file, copied). The
    open pull request's commit would add it a second time if merged."""
    title = "Sparse Autoencoders Find Feature Family 1 in Language Models"
    paper_id, pull = await approved_then_added_by_hand(loop)

    report = await loop.publisher.run_round()
    assert "pull request #1 closed: nothing in it is left to add (https://github.com/" in " ".join(report.lines)
    assert pull.state == "closed" and not pull.merged
    assert "already on the list" in pull.body and "Feature Family 1" in pull.body
    publication = GitHubStore(loop.database).publication(paper_id)
    assert publication is not None and publication.state == "listed"
    assert loop.topic_titles("sparse coding").count(title) == 1
    assert "rejected upstream" not in loop.console.getvalue().lower()

    # The next approval opens a new pull request on a new branch; the closed one is never reused or reopened.
    await loop.approve(2)
    report = await loop.publisher.run_round()
    assert sorted(loop.github.pulls) == [1, 2]
    assert loop.github.pulls[2].head != pull.head and loop.github.pulls[2].state == "open"
    assert pull.state == "closed"
    assert loop.github.log(loop.github.pulls[2].head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list"]


async def test_a_pull_request_keeps_the_papers_not_yet_on_the_list_when_one_was_added_by_hand(loop: Loop) -> None:
    await loop.approve(1)
    await loop.approve(2)
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]
    add_upstream_by_hand(loop, "    - id: added-by-hand\n      title: Sparse Autoencoders Find Feature Family 1 in "
                         "Language Models\n      links:\n        - label: arXiv\n          url: "
                         "https://arxiv.org/abs/2411.20001\n", "Add one paper by hand")
    await loop.publisher.run_round()
    assert pull.state == "open"
    assert loop.github.log(pull.head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list"]


async def test_a_human_edit_upstream_reaches_topic_answers_at_the_next_sync(loop: Loop) -> None:
    await loop.publisher.run_round()
    assert "Added On GitHub By Hand" not in loop.topic_titles("sae")
    add_upstream_by_hand(loop, "    - id: added-on-github\n      title: Added On GitHub By Hand\n      links:\n"
                         "        - label: arxiv 2412\n          url: https://arxiv.org/abs/2412.00001\n",
                         "Add a paper by hand")
    await loop.publisher.run_round()
    assert "Added On GitHub By Hand" in loop.topic_titles("sae")


async def test_a_file_added_by_hand_in_the_clone_is_discarded_at_the_next_sync(loop: Loop) -> None:
    """Only tracked files were reset: a YAML file made in the clone's catalogue/ (every *.yaml there is part of the
    list) was served at every sync, never on GitHub, against "changes made in it by hand are discarded"."""
    await loop.approve(1)  # its write takes the lock file, which is ignored, not made by hand
    await loop.publisher.run_round()
    made = loop.settings.catalogue_dir / "à-la-main.yaml"  # a name git's listings quote ("\303\240-la-main.yaml")
    made.write_text("- topic: sparse-coding\n  entries:\n    - id: made-in-the-clone\n"
                    "      title: Made In The Clone By Hand\n", encoding="utf-8")
    assert "Made In The Clone By Hand" in loop.topic_titles("sae")
    await loop.publisher.run_round()
    assert not made.exists()
    assert "Made In The Clone By Hand" not in loop.topic_titles("sae")
    assert (loop.settings.catalogue_dir / ".interp-bot.lock").exists(), "the write lock is no hand-made file"


async def test_the_write_lock_survives_a_sync_in_a_clone_that_does_not_ignore_it(loop: Loop, caplog) -> None:
    """A clone made before init listed the lock in .git/info/exclude (its volume outlives an upgrade), or by hand,
    shows the lock as untracked: the sync deleted it at every round, under a writer holding it (the next writer
    locks a new file: two writers at once), and warned of discarding "uncommitted changes" each time."""
    exclude = loop.settings.catalogue_dir.parent / ".git" / "info" / "exclude"
    exclude.write_text(exclude.read_text(encoding="utf-8").replace(".interp-bot.lock\n", ""), encoding="utf-8")
    await loop.approve(1)
    await loop.publisher.run_round()
    caplog.clear()
    await loop.publisher.run_round()
    assert (loop.settings.catalogue_dir / ".interp-bot.lock").exists()
    assert not [r for r in caplog.records if "discarding" in r.getMessage()]


async def test_an_upstream_edit_next_to_ours_rebuilds_the_branch_on_the_new_default_branch(loop: Loop) -> None:
    """GitHub would call the two appends a conflict; the bot rebuilds its branch from the stored entry instead."""
    await loop.approve(1)
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]
    old_head = loop.github.head(pull.head)

    def append_same_block(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        lines = path.read_text().splitlines(keepends=True)
        start = lines.index("- topic: sparse-coding\n")
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("- topic:"))
        while not lines[end - 1].strip():
            end -= 1
        lines.insert(end, "    - id: human-neighbour\n      title: A Human's Neighbouring Entry\n")
        path.write_text("".join(lines))

    loop.github.commit(append_same_block, "A human adds an entry at the end of Sparse Coding")
    await loop.publisher.run_round()
    new_head = loop.github.head(pull.head)
    assert new_head != old_head
    assert loop.github.log(pull.head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 1 in Language Models” to the list"]
    text = loop.github.show("catalogue/tools-techniques-methods.yaml", pull.head)
    assert "A Human's Neighbouring Entry" in text
    assert "Sparse Autoencoders Find Feature Family 1 in Language Models" in text
    titles = loop.topic_titles("sparse coding")
    assert "A Human's Neighbouring Entry" in titles
    assert "Sparse Autoencoders Find Feature Family 1 in Language Models" in titles


async def test_a_default_branch_rewritten_upstream_does_not_bring_its_old_commits_back(loop: Loop) -> None:
    """main was force-pushed without a commit (a leaked secret) under an open pull request: counted from the new
    merge-base, that commit looked like someone's on the bot's branch, so the branch was never rebuilt and the
    pull request offered it back."""
    github = loop.github
    github.commit(lambda work: (work / "NOTES.md").write_text("a leaked token\n"), "Add notes (with a secret)")
    await loop.approve(1)
    await loop.publisher.run_round()
    branch = github.pulls[1].head
    git("update-ref", "refs/heads/main", git("rev-parse", "main~1", cwd=github.bare), cwd=github.bare)
    github.commit(lambda work: (work / "NOTES.md").write_text("clean notes\n"), "Add notes")
    await loop.approve(2)
    await loop.publisher.run_round()
    assert github.log(branch, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list",
        "Add “Sparse Autoencoders Find Feature Family 1 in Language Models” to the list",
    ]
    assert "NOTES.md" not in git("diff", "--name-only", f"main...{branch}", cwd=github.bare).split()


async def test_a_branch_github_rebased_onto_the_default_branch_is_still_the_bots(
        loop: Loop, caplog: pytest.LogCaptureFixture) -> None:
    """After "Update branch" (rebase) on GitHub, the default branch's new commits sat between the base the bot
    built on and the branch: they were counted as someone else's, and the branch was never rebuilt again."""
    github = loop.github
    await loop.approve(1)
    await loop.publisher.run_round()
    branch = github.pulls[1].head
    github.commit(lambda work: (work / "NOTES.md").write_text("notes\n"), "Add notes")
    work = github._work(branch)
    git("fetch", "--quiet", "origin", "main", cwd=work)
    git("rebase", "--quiet", "FETCH_HEAD", cwd=work)
    git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
    shutil.rmtree(work)
    caplog.set_level("INFO")
    await loop.approve(2)
    await loop.publisher.run_round()
    assert "by someone else" not in caplog.text
    assert len(github.log(branch, since="main")) == 2


async def test_someone_elses_commit_on_the_branch_is_never_force_pushed_over(loop: Loop) -> None:
    await loop.approve(1)
    await loop.publisher.run_round()
    branch = loop.github.pulls[1].head

    def fix_typo(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        path.write_text(path.read_text().replace("Feature Family 1 in", "Feature Family 1 In"))

    loop.github.commit(fix_typo, "Fix a typo in the bot's entry", branch=branch)
    loop.github.commit(lambda work: (work / "NOTES.md").write_text("moved on\n"), "main moves on")
    await loop.approve(2)
    await loop.publisher.run_round()
    assert loop.github.log(branch, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 2 in Language Models” to the list",
        "Fix a typo in the bot's entry",
        "Add “Sparse Autoencoders Find Feature Family 1 in Language Models” to the list",
    ]


async def test_an_invalid_list_upstream_is_reported_with_file_and_line_and_the_last_valid_list_kept(
        loop: Loop) -> None:
    await loop.publisher.run_round()
    served = loop.topic_titles("sae")

    def break_it(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        lines = path.read_text().splitlines(keepends=True)
        lines[5] = "  - this: [is, not, closed\n"
        path.write_text("".join(lines))

    loop.github.commit(break_it, "An edit that breaks the YAML")
    report = await loop.publisher.run_round()
    assert report.problems
    assert report.problems[0].startswith("catalogue/tools-techniques-methods.yaml:")
    said = loop.console.getvalue()
    assert "The list on GitHub is invalid" in said
    assert "catalogue/tools-techniques-methods.yaml:" in said
    assert loop.topic_titles("sae") == served
    await loop.approve(1)
    await loop.publisher.run_round()
    assert loop.github.pulls == {}, "nothing is built on an invalid list"
    assert said.count("The list on GitHub is invalid") == 1

    loop.github.commit(lambda work: subprocess.run(["git", "revert", "--no-commit", "HEAD"], cwd=work, check=True,
                                                   capture_output=True), "Revert the breaking edit")
    await loop.publisher.run_round()
    assert list(loop.github.pulls) == [1], "publishing resumes once the list is fixed"


async def test_a_list_moved_away_upstream_is_a_problem_not_an_import_to_wait_for(loop: Loop) -> None:
    """The round said "main has no catalogue/ yet: serving the clone's import", status showed no problem and
    nothing was published again."""
    await loop.publisher.run_round()
    served = loop.topic_titles("sae")
    loop.github.commit(lambda work: shutil.move(work / "catalogue", work / "data"), "Move the list's data to data/")
    await loop.approve(1)
    report = await loop.publisher.run_round()
    assert report.problems == ["catalogue/topics.yaml: not on main any more (the list was moved or removed "
                               "upstream); set INTERP_BOT_CATALOGUE_DIR to where it is now, or restore it"]
    assert "The list on GitHub is invalid" in loop.console.getvalue()
    assert set(served) < set(loop.topic_titles("sae"))  # the last valid list, and the approval written into it
    assert loop.github.pulls == {}


async def test_a_squash_merged_import_is_not_taken_for_one_still_waiting(loop: Loop) -> None:
    """A head whose subject started like the import's ("... (#1)", GitHub's squash merge of it) was taken for the
    unmerged import: a list moved away after it read as "no catalogue/ yet"."""
    loop.github.commit(lambda work: (work / "x.txt").write_text("x\n"), "Keep the list as data for interp-bot (#1)")
    await loop.publisher.run_round()
    loop.github.commit(lambda work: shutil.move(work / "catalogue", work / "data"), "Move the list's data to data/")
    report = await loop.publisher.run_round()
    assert report.problems and "not on main any more" in report.problems[0]


async def test_a_round_while_another_process_publishes_names_it_and_status_shows_it(loop: Loop) -> None:
    from datetime import timedelta

    from bot.cli.output import github_json

    assert loop.database.acquire_lease("github", "other-host:4242", timedelta(minutes=15))
    until = (loop.database.now() + timedelta(minutes=15)).strftime("%H:%M")
    report = await loop.publisher.run_round()
    assert not report.ran
    assert report.lines == [f"another interp-bot process is publishing (other-host:4242, until {until} UTC at the "
                            "latest); skipped"]

    class Shown:  # what `status` reads: the settings, the database and whether publishing is on
        settings, database, publisher = loop.settings, loop.database, loop.publisher

    data = github_json(Shown)  # type: ignore[arg-type]
    assert data is not None
    assert data["round_in_progress"]["holder"] == "other-host:4242"
    assert data["last_round"] is None, "a skipped round is not a round"
    loop.database.release_lease("github", "other-host:4242")
    await loop.publisher.run_round()
    data = github_json(Shown)  # type: ignore[arg-type]
    assert data is not None and data["round_in_progress"] is None
    assert data["last_round"]["problem"] is None


@pytest.mark.parametrize(("rights", "action"), [
    (frozenset({"metadata", "pull_requests"}), "push to"),
    (frozenset({"metadata", "contents"}), "open pull requests on"),
])
async def test_a_token_without_rights_gives_one_clear_error_naming_the_setting(
        loop: Loop, rights: frozenset[str], action: str) -> None:
    from bot.errors import GitHubAccessError
    loop.github.tokens[TOKEN] = rights
    await loop.approve(1)
    with pytest.raises(GitHubAccessError) as raised:
        await loop.publisher.run_round()
    message = str(raised.value)
    assert message.startswith(f"GITHUB_TOKEN cannot {action} {loop.github.repo} (")
    assert "Contents: Read and write and Pull requests: Read and write" in message
    assert TOKEN not in message
    with pytest.raises(GitHubAccessError):
        await loop.publisher.run_round()
    assert loop.console.getvalue().count("Publishing to GitHub is stopped") == 1, "the maintainers hear it once"


async def test_one_pull_request_per_paper_in_pull_request_each_mode(loop_factory) -> None:  # type: ignore[no-untyped-def]
    loop = await loop_factory(github_mode="pull-request-each")
    await loop.approve(1)
    await loop.approve(2)
    await loop.publisher.run_round()
    entries = [e.id for e in loop.catalogue.index.catalogue.entries if "feature-family" in e.id]
    assert len(entries) == 2
    assert sorted(p.head for p in loop.github.pulls.values()) == sorted(f"{PREFIX}{entry}" for entry in entries)
    assert all(p.title.startswith("Add “Sparse Autoencoders") for p in loop.github.pulls.values())


async def test_a_title_with_issue_references_and_mentions_acts_on_nothing(loop_factory) -> None:  # type: ignore[no-untyped-def]
    """Commit messages and pull-request-each titles carried the raw title: "Closes #1" in a commit that reaches the
    default branch closes issue 1, "@octocat" may ping. A word joiner after # and @ breaks both, invisibly."""
    loop = await loop_factory(github_mode="pull-request-each")
    await loop.approve(1, title="Closes #1, fixes GH-2 and https://github.com/o/r/issues/3: what @octocat's model has")
    await loop.publisher.run_round()
    (pull,) = loop.github.pulls.values()
    subject = loop.github.log(pull.head, since="main")[0]
    for text in (subject, pull.title, pull.body):  # the body too: "Closes \#1" there closed issue 1 on merge
        assert "#1" not in text and "GH-2" not in text and "issues/3" not in text and "@octocat" not in text
        assert "#\u20601" in text and "GH-\u20602" in text and "issues/\u20603" in text and "@\u2060octocat" in text


async def test_a_link_with_a_pipe_keeps_the_pull_requests_table_whole(loop: Loop) -> None:
    """The description's table linked each paper to its address as given: a feed's "|" in it ended the cell there,
    so the row lost its link, the rest of the address became a cell of its own, and every column after it moved."""
    await loop.approve(1, title="Tags For Sparse Autoencoders",
                       url="https://blog.example.org/post?tags=sae|probing|[x](https://example.com)")
    await loop.publisher.run_round()
    (row,) = [line for line in loop.github.pulls[1].body.splitlines() if "Tags For Sparse Autoencoders" in line]
    assert row == ("| [Tags For Sparse Autoencoders](https://blog.example.org/post?tags=sae%7Cprobing%7C[x]"
                   "%28https://example.com%29) | Paper & Blog › By Topic › Tools/Techniques/Methods › Sparse Coding "
                   "| alice (discord), bob (slack) |")


async def test_a_line_separator_in_a_title_parts_its_words_in_the_pull_request_and_commit(  # type: ignore[no-untyped-def]
        loop_factory, github: FakeGitHub) -> None:
    """The one-line form of GitHub's texts dropped U+2028 and NEL before splitting on whitespace: a topic
    retitled "Sparse<U+2028>Coding" upstream was "SparseCoding" in the pull request's description; so was a
    title that reached the commit and pull request unread from the list (an entry built again from its paper)."""
    github.commit(lambda work: retitle_topic(work / "catalogue", "Sparse Coding", "Sparse\\u2028Coding"),
                  "A topic retitled by hand")
    loop = await loop_factory(github_mode="pull-request-each")
    await loop.approve(1, title="Sparse\u2028Autoencoders Reveal\x85Feature Families")
    await loop.publisher.run_round()
    (pull,) = loop.github.pulls.values()
    (subject,) = loop.github.log(pull.head, since="main")
    assert subject == "Add “Sparse Autoencoders Reveal Feature Families” to the list"
    assert pull.title == "Add “Sparse Autoencoders Reveal Feature Families” to the list"
    assert "Sparse Coding |" in pull.body
    assert "SparseCoding" not in pull.body


async def test_push_mode_commits_straight_to_the_default_branch(loop_factory) -> None:  # type: ignore[no-untyped-def]
    loop = await loop_factory(github_mode="push")
    before = loop.github.head("main")
    await loop.approve(1)
    report = await loop.publisher.run_round()
    assert "pushed 1 paper(s) to main" in report.lines
    assert loop.github.pulls == {}
    assert loop.github.log("main", since=before) == [
        "Add “Sparse Autoencoders Find Feature Family 1 in Language Models” to the list"]
    assert GitHubStore(loop.database).count_by_state() == {"merged": 1}


@pytest.mark.parametrize("outcome", ["merged", "closed"])
async def test_a_pull_request_opened_before_a_switch_to_push_mode_is_still_followed(
        loop_factory, outcome: str) -> None:  # type: ignore[no-untyped-def]
    before = await loop_factory()
    paper_id = await before.approve(1)
    await before.publisher.run_round()
    assert before.github.pulls[1].state == "open"

    after = await loop_factory(github_mode="push")  # the same database and clone, restarted in push mode
    if outcome == "merged":
        after.github.merge(1)
    else:
        after.github.close(1)
    report = await after.publisher.run_round()
    publication = GitHubStore(after.database).publication(paper_id)
    assert publication is not None
    title = "Sparse Autoencoders Find Feature Family 1 in Language Models"
    if outcome == "merged":
        assert any(line.startswith("pull request #1 was merged") for line in report.lines), report.lines
        assert publication.state == "merged"
        assert title in after.topic_titles("sparse coding")
    else:
        assert "pull request #1 was closed without merging: 1 paper(s) marked rejected upstream" in report.lines
        assert publication.state == "closed"
        assert after.curation.papers.paper(paper_id).status == "rejected upstream"
        assert title not in after.topic_titles("sparse coding"), "no longer served: it is not on the list"


async def test_github_mode_without_a_clone_says_how_to_make_one(tmp_path: Path, github: FakeGitHub) -> None:
    from bot.app import App
    from bot.errors import ConfigError
    from tests.github.conftest import github_settings

    with pytest.raises(ConfigError, match=r"is not a clone of interp-test/awesome-llm-interpretability: run "
                                          r"`interp-bot init --from-github interp-test/awesome-llm-interpretability`"):
        App(github_settings(tmp_path, github))


async def test_the_clone_never_commits_the_catalogues_write_lock(loop: Loop, tmp_path: Path) -> None:
    await loop.approve(1)  # the approval's write takes the lock file in the served catalogue
    assert (loop.settings.catalogue_dir / ".interp-bot.lock").exists()
    await loop.publisher.run_round()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path / "list", capture_output=True, text=True,
                            check=True).stdout
    assert status == ""
    assert ".interp-bot.lock" not in branch_files(loop.github, loop.github.pulls[1].head)


async def test_an_empty_github_readme_setting_leaves_the_front_page_alone(loop_factory) -> None:  # type: ignore[no-untyped-def]
    loop = await loop_factory(github_readme="")
    await loop.approve(1)
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]
    assert sorted(branch_files(loop.github, pull.head)) == [
        "catalogue/README.md", "catalogue/tools-techniques-methods.yaml"]


async def test_a_clone_fetching_from_another_url_is_named_not_blamed_on_the_token(loop: Loop) -> None:
    """INTERP_BOT_GITHUB_GIT_URL changed after `init`: the token is sent only to the configured URL, so the clone's
    fetches would be refused, and the error used to say GITHUB_TOKEN cannot read the repository."""
    from bot.errors import ConfigError

    root = loop.settings.catalogue_dir.parent
    old = loop.github.git_url
    subprocess.run(["git", "remote", "set-url", "origin", old.replace("127.0.0.1", "localhost")], cwd=root, check=True)
    with pytest.raises(ConfigError) as raised:
        await loop.publisher.run_round()
    assert str(raised.value) == (
        f"the clone {root} fetches from {old.replace('127.0.0.1', 'localhost')}, but the bot publishes to {old} "
        "(INTERP_BOT_GITHUB_REPO / INTERP_BOT_GITHUB_GIT_URL): point it there with "
        f"`git -C {root} remote set-url origin {old}`, or clone again with `interp-bot init`")
    subprocess.run(["git", "remote", "set-url", "origin", old], cwd=root, check=True)
    assert (await loop.publisher.run_round()).ran


async def test_a_pull_request_whose_paper_lost_its_topic_upstream_is_closed_saying_why(loop: Loop) -> None:
    """The Sparse Coding topic is removed on the default branch while the pull request adding a paper to it is open:
    the paper cannot be added any more, and the old commit, merged, would write into a topic that is gone."""
    import re

    paper_id = await loop.approve(1)
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]

    def remove_sparse_coding(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        lines = path.read_text().splitlines(keepends=True)
        start = lines.index("- topic: sparse-coding\n")
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("- topic:"))
        path.write_text("".join(lines[:start] + lines[end:]))
        topics = work / "catalogue" / "topics.yaml"
        topics.write_text(re.sub(r" +- slug: sparse-coding\n +title: Sparse Coding\n +aliases: \[[^\]]*\]\n", "",
                                 topics.read_text()))

    loop.github.commit(remove_sparse_coding, "Fold Sparse Coding into other topics")
    report = await loop.publisher.run_round()
    assert not report.problems, "the list upstream is valid without the topic"
    assert any(line.startswith("pull request #1 closed: nothing in it is left to add") for line in report.lines)
    assert pull.state == "closed" and not pull.merged
    assert "cannot be added: " in pull.body and "sparse-coding" in pull.body
    publication = GitHubStore(loop.database).publication(paper_id)
    assert publication is not None and publication.state == "failed"
    assert "“Sparse Autoencoders Find Feature Family 1 in Language Models” cannot be added to the list on GitHub" \
        in loop.console.getvalue()


async def test_an_approval_under_a_slug_renamed_upstream_is_written_under_the_topic_that_keeps_it_as_alias(
        loop: Loop) -> None:
    """Sparse Coding becomes sparse-dictionary-learning on the default branch, the old slug kept among its aliases,
    while an approval filed under sparse-coding waits for the round: the write looked the topic up by slug alone,
    so the approval failed as if its topic were gone."""
    import re

    paper_id = await loop.approve(1)

    def rename_sparse_coding(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        path.write_text(path.read_text().replace("- topic: sparse-coding\n", "- topic: sparse-dictionary-learning\n"))
        topics = work / "catalogue" / "topics.yaml"
        topics.write_text(re.sub(r"- slug: sparse-coding\n( +)title: Sparse Coding\n( +)aliases: \[",
                                 r"- slug: sparse-dictionary-learning\n\1title: Sparse Dictionary Learning\n"
                                 r"\2aliases: [sparse-coding, ", topics.read_text()))

    loop.github.commit(rename_sparse_coding, "Rename Sparse Coding")
    report = await loop.publisher.run_round()
    assert not report.problems
    publication = GitHubStore(loop.database).publication(paper_id)
    assert publication is not None and publication.state == "published", publication
    pull = loop.github.pulls[1]
    assert "| Paper & Blog › By Topic › Tools/Techniques/Methods › Sparse Dictionary Learning |" in pull.body
    block = topic_block(loop.github.show("catalogue/tools-techniques-methods.yaml", pull.head),
                         "sparse-dictionary-learning")
    assert "Sparse Autoencoders Find Feature Family 1 in Language Models" in block
    assert "Sparse Autoencoders Find Feature Family 1 in Language Models" in \
        "\n".join(loop.topic_titles("sparse dictionary learning"))
    assert "cannot be added" not in loop.console.getvalue()


def topic_block(text: str, slug: str) -> str:
    """The lines of one `- topic: SLUG` block of an entry file."""
    lines = text.splitlines()
    start = lines.index(f"- topic: {slug}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("- topic:")), len(lines))
    return "\n".join(lines[start:end])


@pytest.mark.parametrize(("arxiv", "url"), [
    (None, "https://arxiv.org/abs/2411.20001v2"), (None, "http://arxiv.org/pdf/2411.20001"),
    (None, "https://www.arxiv.org/abs/2411.20001"), ("2411.20001", "https://openreview.net/forum?id=SaeFamily1"),
])
async def test_a_paper_added_by_hand_is_known_by_any_spelling_of_its_arxiv_id(
        loop: Loop, arxiv: str | None, url: str) -> None:
    await loop.approve(1)  # its link is https://arxiv.org/abs/2411.20001
    await loop.publisher.run_round()
    pull = loop.github.pulls[1]
    entry = ("    - id: added-by-hand\n      title: SPARSE AUTOENCODERS FIND FEATURE FAMILY 1 IN LANGUAGE MODELS\n"
             + (f'      arxiv: "{arxiv}"\n' if arxiv else "")
             + f"      links:\n        - label: paper\n          url: {url}\n")

    add_upstream_by_hand(loop, entry, "Add the paper by hand, with another spelling of its link")
    await loop.publisher.run_round()
    assert pull.state == "closed", "its one paper is on the list already: merging would list it twice"
    titles = [t.lower() for t in loop.topic_titles("sparse coding")]
    assert titles.count("sparse autoencoders find feature family 1 in language models") == 1


async def test_a_close_that_failed_is_sent_again_so_the_pull_request_cannot_list_a_paper_twice(loop: Loop) -> None:
    paper_id, pull = await approved_then_added_by_hand(loop)
    loop.github.failing_updates = 1  # the PATCH that closes it answers 502

    with pytest.raises(GitHubError, match=r"GitHub failed to close pull requests on .*: trouble on GitHub.s side"):
        await loop.publisher.run_round()
    assert pull.state == "open"
    publication = GitHubStore(loop.database).publication(paper_id)
    assert publication is not None and publication.state == "listed"

    report = await loop.publisher.run_round()
    assert any(line.startswith("pull request #1 closed: nothing in it is left to add") for line in report.lines)
    assert pull.state == "closed" and not pull.merged
    assert "Closed by interp-bot: pull request #1" in loop.console.getvalue()


async def test_an_approval_not_pushed_before_a_switch_from_push_mode_goes_to_a_pull_request(
        loop_factory) -> None:  # type: ignore[no-untyped-def]
    from bot.errors import GitHubAccessError

    pushing = await loop_factory(github_mode="push")
    paper_id = await pushing.approve(1)
    pushing.github.tokens[TOKEN] = frozenset({"metadata", "pull_requests"})  # the push is refused
    with pytest.raises(GitHubAccessError):
        await pushing.publisher.run_round()
    assert GitHubStore(pushing.database).publication(paper_id).state == "pending"  # type: ignore[union-attr]

    pushing.github.tokens[TOKEN] = RIGHTS
    proposing = await loop_factory()  # restarted in pull-request mode
    report = await proposing.publisher.run_round()
    assert any(line.startswith("pull request #1 opened") for line in report.lines), report.lines
    assert proposing.github.log(proposing.github.pulls[1].head, since="main") == [
        "Add “Sparse Autoencoders Find Feature Family 1 in Language Models” to the list"]


async def test_closed_reopened_and_closed_again_is_said_each_time(loop: Loop) -> None:
    paper_id = await loop.approve(1)
    await loop.publisher.run_round()
    loop.github.close(1)
    await loop.publisher.run_round()
    loop.github.reopen(1)
    await loop.publisher.run_round()
    loop.github.close(1)
    await loop.publisher.run_round()
    said = loop.console.getvalue()
    assert said.count("Closed without merging: pull request #1") == 2, "the last word is that it is closed"
    assert said.count("Reopened on GitHub: pull request #1") == 1
    assert loop.curation.papers.paper(paper_id).status == "rejected upstream"


async def test_a_reopen_is_said_even_when_the_round_that_saw_it_fails(loop_factory) -> None:  # type: ignore[no-untyped-def]
    first = await loop_factory()
    paper_id = await first.approve(1)
    await first.publisher.run_round()
    first.github.close(1)
    await first.publisher.run_round()
    first.github.reopen(1)
    restarted = await loop_factory()  # a new process: it sends the description again, and that PATCH fails
    restarted.github.failing_updates = 1
    with pytest.raises(GitHubError):
        await restarted.publisher.run_round()
    assert restarted.curation.papers.paper(paper_id).status == "approved"
    assert "Reopened on GitHub: pull request #1" in restarted.console.getvalue()


async def test_a_withdrawn_pull_request_reopened_by_a_person_gets_a_warning_not_a_merge_notice(loop: Loop) -> None:
    await approved_then_added_by_hand(loop)
    await loop.publisher.run_round()
    assert loop.github.pulls[1].state == "closed"
    loop.github.reopen(1)
    await loop.publisher.run_round()
    said = loop.console.getvalue()
    assert "Reopened, but nothing in it is left to add: pull request #1" in said
    assert "Reopened on GitHub" not in said
    loop.github.merge(1)
    await loop.publisher.run_round()
    said = loop.console.getvalue()
    assert "Merged although withdrawn: pull request #1" in said
    assert "Merged on GitHub: pull request #1" not in said


async def test_a_clone_whose_url_holds_a_token_is_named_without_it(loop: Loop) -> None:
    """A clone made by hand the way many guides say (https://TOKEN@github.com/OWNER/NAME.git): the messages saying it
    fetches elsewhere quoted its URL whole, so the token reached the terminal and, stored as the round's problem,
    every `status`."""
    from bot.errors import ConfigError
    from bot.github.clone import init_from_github
    from bot.store.jobs import JobRunStore

    root = loop.settings.catalogue_dir.parent.absolute()
    secret = "an-old-token-pasted-into-the-url"
    subprocess.run(["git", "remote", "set-url", "origin",
                    loop.github.git_url.replace("http://", f"http://x-access-token:{secret}@")], cwd=root, check=True)
    with pytest.raises(ConfigError) as raised:
        await loop.publisher.run_round()
    assert str(raised.value).startswith(f"the clone {root} fetches from http://[redacted]@127.0.0.1:")
    problem = JobRunStore(loop.database).last("github").problem  # what `status` prints
    with pytest.raises(ConfigError) as again:
        await init_from_github(loop.settings.model_copy(update={"github_git_url": loop.github.git_url + "/"}),
                               loop.github.repo)
    assert str(again.value).startswith(f"{root} is already a clone of http://[redacted]@127.0.0.1:")
    for said in (str(raised.value), problem or "", str(again.value)):
        assert secret not in said and "x-access-token" not in said


async def test_init_on_a_clone_of_another_url_says_how_to_point_it(loop: Loop) -> None:
    from bot.errors import ConfigError
    from bot.github.clone import init_from_github

    moved = loop.github.git_url.replace("127.0.0.1", "localhost")
    settings = loop.settings.model_copy(update={"github_git_url": moved})
    root = loop.settings.catalogue_dir.parent.absolute()
    with pytest.raises(ConfigError) as raised:
        await init_from_github(settings, loop.github.repo)
    assert str(raised.value) == (f"{root} is already a clone of {loop.github.git_url}, not of {moved}: point it there "
                                 f"with `git -C {root} remote set-url origin {moved}`, or clone into another folder "
                                 "(--into DIR)")


async def test_an_approval_whose_entry_a_round_reset_away_is_still_proposed(loop: Loop) -> None:
    """A round (another process's, or an earlier approval's kick) resets the clone to upstream + the approvals
    recorded for GitHub. One run between an entry's write and its record took the entry away, the record looked
    it up in the served list, found nothing, and the approval never reached a pull request; a stop in that gap
    left it unrecorded for good, since recovery only finished unannounced decisions."""
    title = "Sparse Autoencoders Find Feature Family 1 in Language Models"
    loop.curation.publisher = None  # the process that wrote the entry stops before recording it
    paper = await loop.approve(1)
    loop.curation.store.mark_decision(paper, announced=False)  # where that stop leaves it: posts not edited yet
    loop.curation.publisher = loop.publisher
    await loop.publisher.run_round()
    assert title not in loop.topic_titles("sparse coding")  # reset away with the clone
    assert await loop.curation.recover() == 1  # the restart
    await loop.publisher.run_round()
    assert loop.github.log(loop.github.pulls[1].head, since="main") == [f"Add “{title}” to the list"]
    assert title in loop.topic_titles("sparse coding")
