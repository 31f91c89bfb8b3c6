"""`interp-bot init --from-github OWNER/NAME`: a clone of the list's repository as the bot's catalogue.

The clone goes to the folder that holds INTERP_BOT_CATALOGUE_DIR (or `--into DIR`). When the repository has no
catalogue yet, its README is imported with the markdown importer, committed, and proposed upstream like any
approval (a pull request, or a push in push mode): until it is merged the bot serves the imported list and
publishes nothing else. Running init again on a finished clone changes nothing (compose runs it at every start).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.catalogue.markdown import render_markdown
from bot.catalogue.markdown_import import import_markdown
from bot.catalogue.yaml_io import README_FILE, TOPICS_FILE, load_catalogue
from bot.catalogue.yaml_write import atomic_write, write_catalogue
from bot.errors import CatalogueError, ConfigError, GitHubError
from bot.github.git import PREFIX, Git, Remote, names_repository, shown_url
from bot.settings import GITHUB_REPO_RE

if TYPE_CHECKING:
    from bot.settings import Settings

IMPORT_BRANCH = "interp-bot/import"
IMPORT_SUBJECT = "Keep the list as data for interp-bot"  # the import commit's, and its pull request's, title
LOCK_FILE = ".interp-bot.lock"
README_NAMES = ("README.md", "readme.md", "Readme.md", "README.markdown")


@dataclass
class InitResult:
    directory: Path
    repo: str
    lines: list[str] = field(default_factory=list)
    imported: str | None = None  # the import's commit, to propose upstream
    readme: str = ""
    subdir: str = "catalogue"
    elsewhere: bool = False  # `--into DIR`: not where INTERP_BOT_CATALOGUE_DIR has the bot read the catalogue


def remote_for(settings: Settings, repo: str) -> Remote:
    token = settings.github_token.get_secret_value() if settings.github_token is not None else None
    return Remote(settings.github_git_url or f"https://github.com/{repo}.git", token or None, repo)


async def init_from_github(settings: Settings, repo: str, into: Path | None = None) -> InitResult:
    result = await asyncio.to_thread(_clone, settings, repo, into)
    if result.elsewhere:
        result.lines.append(f"next: set INTERP_BOT_CATALOGUE_DIR={result.directory / result.subdir} so that the bot "
                            "reads this clone")
    if result.imported is not None:
        await _propose_import(settings, Git(result.directory, remote_for(settings, result.repo)), result)
    return result


def _clone(settings: Settings, repo: str, into: Path | None) -> InitResult:
    repo = repo.strip().removeprefix("https://github.com/").removesuffix(".git").strip("/")
    if not re.match(GITHUB_REPO_RE, repo):
        raise ConfigError(f"--from-github {repo!r}: expected OWNER/NAME, e.g. JShollaj/awesome-llm-interpretability")
    remote = remote_for(settings, repo)
    catalogue_dir = Path(settings.catalogue_dir).absolute()
    directory = (into or catalogue_dir.parent).absolute()
    subdir = catalogue_dir.name if into is None else "catalogue"
    result = InitResult(directory, repo=repo, subdir=subdir, elsewhere=directory / subdir != catalogue_dir)
    git = Git(directory, remote)
    cloned = False
    if (directory / ".git").exists():
        origin = git.origin_url()
        if origin not in (None, remote.url) and not names_repository(origin, repo):  # set-url: handed to the list
            raise ConfigError(f"{directory} is a clone of {shown_url(origin)}, not of {repo}: the list needs a folder "
                              f"of its own (--into DIR, or set INTERP_BOT_CATALOGUE_DIR to DIR/{subdir} for a new DIR)")
        if origin != remote.url:
            raise ConfigError(f"{directory} is already a clone of {shown_url(origin)}, not of {remote.url}: point it "
                              f"there with `git -C {directory} remote set-url origin {remote.url}`, or clone into "
                              "another folder (--into DIR)")
        head = git.rev("HEAD")
        if head is None:
            # A clone stopped midway: git removes what it cloned when it fails, not when it is killed (a stop, or
            # our timeout's kill). No commit is in it, so nothing is lost by cloning again.
            shutil.rmtree(directory / ".git")
            result.lines.append(f"{directory} held a clone that never finished: cloning it again")
        elif not (directory / subdir / TOPICS_FILE).is_file() and git.has_file(head, f"{subdir}/{TOPICS_FILE}"):
            # Killed while checking HEAD out (after the fetch, before the files): HEAD has the list, the work tree
            # does not. Read as it is, it looked like a repository with no catalogue, and the README was imported
            # over it. The clone is the bot's (approvals are re-applied by the next round): check HEAD out again.
            git.reset_hard(head)
            _exclude_lock(directory)  # written after the clone, so a killed one never wrote it
            result.lines.append(f"{directory} held a checkout that never finished ({subdir}/{TOPICS_FILE} was "
                                f"missing): restored it from {head[:10]}")
        else:
            result.lines.append(f"{directory} is already a clone of {repo}")
    if not (directory / ".git").exists():
        if directory.exists() and any(directory.iterdir()):
            raise ConfigError(f"{directory} is not empty: clone into an empty folder (--into DIR, or set "
                              f"INTERP_BOT_CATALOGUE_DIR to DIR/{subdir} for a new DIR)")
        directory.parent.mkdir(parents=True, exist_ok=True)
        Git(directory.parent, remote).clone(directory)
        _exclude_lock(directory)
        result.lines.append(f"cloned {repo} into {directory}")
        cloned = True
    catalogue = directory / subdir
    if (catalogue / TOPICS_FILE).is_file():
        try:
            listed = load_catalogue(catalogue)  # raises CatalogueError (file and line) on an invalid list
        except CatalogueError:
            if cloned or not _catch_up(git, result):
                raise
            listed = load_catalogue(catalogue)
        result.lines.append(f"{catalogue} holds the list: {len(listed.entries)} entries in {len(listed.topics)} "
                            "topics")
        # An import a first run made and could not propose (a token without the Pull requests right, a 5xx) is
        # still the clone's head until it is merged: proposed again (the proposal finds one already open).
        if is_unmerged_import(git, subdir):
            result.imported = git.rev("HEAD")
            body = git.out("log", "-1", "--format=%b")
            result.readme = match.group(1) if (match := re.search(r"Imported from (\S+):", body)) else "README.md"
        return result
    _import_readme(git, directory, subdir, result, front_page=settings.github_readme)
    return result


def _exclude_lock(directory: Path) -> None:
    """The catalogue's write lock is never part of the list (nor a file a sync discards as made by hand)."""
    exclude = directory / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    if LOCK_FILE not in (exclude.read_text(encoding="utf-8").splitlines() if exclude.is_file() else []):
        with exclude.open("a", encoding="utf-8") as out:
            out.write(f"{LOCK_FILE}\n")


def _catch_up(git: Git, result: InitResult) -> bool:
    """An existing clone whose list does not load (invalid upstream when it was cloned, fixed there since: init
    never fetched, and failed at every start) is moved to the default branch as it is now. The clone is the bot's:
    approvals on top of it are re-applied by the next round. False when it is there already."""
    git.run("fetch", "--quiet", "--no-tags", "origin")
    upstream = git.rev("refs/remotes/origin/HEAD")
    if upstream is None or upstream == git.rev("HEAD"):
        return False
    branch = git.out("symbolic-ref", "--short", "refs/remotes/origin/HEAD").removeprefix("origin/")
    git.reset_hard(upstream)
    result.lines.append(f"the clone's list did not load: moved it to {branch} as it is now ({upstream[:10]})")
    return True


def is_unmerged_import(git: Git, subdir: str, upstream: str | None = None) -> bool:
    """Is the clone's head the import commit, not in the default branch's history (`upstream`, when known; else
    what the clone last knew as origin's HEAD)? A squash merge of it is another commit, "... (#1)"."""
    if git.out("log", "-1", "--format=%s") != f"{IMPORT_SUBJECT} ({subdir}/)":
        return False
    head = git.rev("HEAD")
    upstream = upstream or git.rev("refs/remotes/origin/HEAD")
    return head is not None and (upstream is None or not git.is_ancestor(head, upstream))


def _import_readme(git: Git, directory: Path, subdir: str, result: InitResult, *, front_page: str) -> None:
    readme = next((directory / name for name in README_NAMES if (directory / name).is_file()), None)
    if readme is None:
        raise GitHubError(f"{git.remote.repo} has neither {subdir}/{TOPICS_FILE} nor a README.md to import")
    imported = import_markdown(readme.read_text(encoding="utf-8"))
    catalogue = directory / subdir
    write_catalogue(imported, catalogue)
    listed = load_catalogue(catalogue)
    rendered = render_markdown(listed)
    atomic_write(catalogue / README_FILE, rendered)
    paths = [subdir]
    if front_page:  # the page readers see, rendered from the same data from now on (every entry kept, in order)
        atomic_write(directory / front_page, rendered)
        paths.append(front_page)
    also = f" and {front_page} are" if front_page else " is"
    head = git.commit_all(f"{IMPORT_SUBJECT} ({subdir}/)\n\nImported from {readme.name}: "
                          f"{len(listed.entries)} entries in {len(listed.topics)} topics. {subdir}/README.md{also} "
                          "rendered from the YAML.\n", paths)
    result.lines.append(f"imported {len(listed.entries)} entries in {len(listed.topics)} topics from {readme.name} "
                        f"into {catalogue}")
    result.imported, result.readme = head, readme.name


async def _propose_import(settings: Settings, git: Git, result: InitResult) -> None:
    """The import goes upstream like an approval: a pull request (or a push in push mode)."""
    head, subdir = result.imported, result.subdir
    assert head is not None
    if not git.remote.token:
        result.lines.append("no GITHUB_TOKEN: the import is committed in the clone only")
        return
    from bot.github.api import GitHubApi

    api = GitHubApi(git.remote.repo, git.remote.token, base_url=settings.github_api_url, user_agent="interp-bot")
    default = await api.default_branch()
    if settings.github_mode == "push":
        await asyncio.to_thread(git.fetch, default, PREFIX)
        upstream = git.rev(f"refs/remotes/origin/{default}")
        if upstream is not None and git.is_ancestor(head, upstream):
            return  # pushed by an earlier run
        if upstream is not None and not git.is_ancestor(upstream, head):  # a push would not be a fast-forward
            result.lines.append(f"the import (commit {head[:10]}) was made on an older {default}, which has moved "
                                f"since, and cannot be pushed as it is: remove {result.directory} and run init "
                                "again to import the list afresh")
            return
        await asyncio.to_thread(git.push, head, default)
        result.lines.append(f"pushed the import to {default}")
        return
    if (earlier := await api.pull_for_branch(IMPORT_BRANCH)) is not None:  # an earlier run proposed it
        if earlier.merged:
            result.lines.append(f"the import's pull request #{earlier.number} is merged")
        elif earlier.state == "open":
            result.lines.append(f"pull request #{earlier.number} is open: {earlier.url} (merge it before "
                                "interp-bot can publish)")
        else:
            result.lines.append(f"the import's pull request #{earlier.number} was closed without merging: reopen "
                                f"it ({earlier.url}) for interp-bot to publish")
        return
    await asyncio.to_thread(git.push, head, IMPORT_BRANCH, expect=None, force_if=True)
    pull = await api.open_pull(IMPORT_BRANCH, default, IMPORT_SUBJECT,
                               f"The list imported from `{result.readme}` into `{subdir}/` (YAML, one file per "
                               f"section) with `{subdir}/README.md`"
                               + (f" and `{settings.github_readme}`" if settings.github_readme else "")
                               + " rendered from it. Merge this before interp-bot can propose papers.")
    result.lines.append(f"pull request #{pull.number} opened: {pull.url} (merge it before interp-bot can publish)")
