"""One exception tree for everything interp-bot reports to a person, and the texts it reports.

    InterpBotError            a problem a person can fix; `str(exc)` is the whole message, one line or a list
     ├── ConfigError          a setting is missing or wrong; the message names the variable   (exit 3)
     ├── CatalogueError       catalogue/ is invalid: every Problem, each with file and line   (exit 1)
     │    └── MarkdownImportError   an awesome-list README that cannot be imported (line)
     ├── FeedsError           feeds.yaml is invalid: every problem, each with file and line   (exit 1)
     │    └── GitHubAccessError     GITHUB_TOKEN cannot do what publishing needs on the repository
     ├── StoreError           the database is unreachable or at a schema we do not know      (exit 1)
     ├── AdapterError         a chat platform refused an operation retrying will not fix      (logged)
     └── GitHubError          GitHub or git failed (unreachable, a push rejected): retried     (exit 1)

The command line catches InterpBotError alone and prints its message; anything else is a bug and is logged with
its traceback (secrets redacted). Errors inside one feed item, one event or one post are not raised this far:
they are logged and skipped where they happen, so the rest goes on.

The texts that settings and the chat adapters report are below, in one place (as bolt keeps its in
`logger/messages.py`); validation messages that quote a file's content are built where the content is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.catalogue.text import show_control


class InterpBotError(Exception):
    """A problem a person can fix: the message says what and where."""


class ConfigError(InterpBotError):
    """A setting is missing or wrong; the message names the variable to set."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where (file and line, when known) and what."""

    file: Path | str
    line: int | None
    message: str

    def __post_init__(self) -> None:
        # Messages quote the file (a key, a slug, a `see:`) and are printed to a terminal: an ESC in a hand-edited
        # file is shown as `\x1b`, never sent.
        object.__setattr__(self, "message", show_control(self.message))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


class CatalogueError(InterpBotError):
    """The catalogue cannot be served: every problem found is listed, each with file and line."""

    def __init__(self, problems: list[Problem], *, message: str | None = None):
        self.problems = problems
        count = len(problems)
        head = f"the catalogue is invalid ({count} problem{'s' if count != 1 else ''}):"
        super().__init__(message or "\n  ".join([head, *map(str, problems)]))


class CatalogueMissing(CatalogueError):
    """No catalogue directory where the settings say: nothing is invalid, it is just not there."""

    def __init__(self, directory: Path | str):
        super().__init__([Problem(directory, None, "catalogue directory not found")],
                         message=f"no catalogue at {Path(directory).resolve()}: run interp-bot from the list's "
                                 "checkout, or name the directory with --catalogue DIR or INTERP_BOT_CATALOGUE_DIR")


class MarkdownImportError(CatalogueError):
    """An awesome-list README that cannot become a catalogue; `line` is where."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        InterpBotError.__init__(self, f"line {line}: {message}")
        self.problems = [Problem("README", line, message)]


class GitError(InterpBotError):
    """`git commit` of an approval failed; the entry is written and the README rendered, only the commit is missing
    (the approval stays unfinished, and is retried, until it is made)."""


class FeedsError(InterpBotError):
    """feeds.yaml is wrong. `problems` holds one `file:line: what` string per problem."""

    def __init__(self, problems: Iterable[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class StoreError(InterpBotError):
    """The database is unreachable or not at a schema this version understands; the message says which."""


class AdapterError(InterpBotError):
    """A platform refused an operation for a reason retrying will not fix (permissions, unknown channel)."""


class PostGone(AdapterError):
    """The post to edit is no longer there (someone deleted it): there is nothing left to edit, now or later."""


class GitHubError(InterpBotError):
    """GitHub's API or a git command failed; the message (never holding the token) says which and why."""


class GitHubAccessError(ConfigError):
    """GITHUB_TOKEN is missing, wrong, or lacks a permission publishing needs; the message names the setting."""

def describe(exc: BaseException) -> str:
    """An exception as an operator reads it in a log line or `status`: our own errors by their message, any other
    by its type too (a bare KeyError('type') says nothing without its name)."""
    if isinstance(exc, InterpBotError):
        return str(exc)
    message = str(exc)  # a TimeoutError has none: its name alone, not "TimeoutError: "
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# --------------------------------------------------------------------------- texts: settings


def missing_settings(names: list[str]) -> str:
    return f"missing setting{'s' if len(names) > 1 else ''}: {', '.join(names)}"


def missing_channel(variable: str, role: str) -> str:
    return f"missing setting: {variable} (where to post the {role} posts)"


def secrets_in_config_file(path: object, keys: list[str]) -> str:
    return f"{path}: secrets ({', '.join(keys)}) belong in the environment or .env, not in the config file"


def config_file_missing(path: str) -> str:
    return f"INTERP_BOT_CONFIG names {path}, which does not exist"


def config_file_unreadable(path: str, why: str) -> str:
    return f"INTERP_BOT_CONFIG names {path}, which cannot be read: {why}"


def config_file_unknown_settings(path: str, problems: list[str]) -> str:
    return f"INTERP_BOT_CONFIG file {path}: " + "; ".join(problems)


def invalid_settings(lines: list[str]) -> str:
    if len(lines) == 1:
        return lines[0]
    return "invalid settings:\n  " + "\n  ".join(lines)


def bad_database_url(why: str) -> str:
    return (f"INTERP_BOT_DATABASE_URL (or --db) {why}: expected sqlite:///FILE or "
            "postgresql://USER:PASSWORD@HOST:PORT/DB")


def feeds_file_missing(path: object) -> str:
    from pathlib import Path

    if isinstance(path, str | Path) and Path(path).is_dir():  # --feeds DIR: the file in it is what to name
        return f"feeds file {path} is a directory: name the file, such as {Path(path) / 'feeds.yaml'} " \
               "(INTERP_BOT_FEEDS_FILE or --feeds)"
    return f"feeds file {path} not found (set INTERP_BOT_FEEDS_FILE or use --feeds)"


def digest_not_posted(failed: Iterable[tuple[str, str]]) -> str:
    """A digest channel refused the digest: the job failed (`status` shows it) and `interp-bot digest` retries."""
    return "; ".join(f"the digest could not be posted to {channel}: {why}" for channel, why in failed) + \
        " (`interp-bot digest` posts it once that is fixed)"


def unknown_adapter(name: str, choices: Iterable[str]) -> str:
    return f"unknown adapter {name!r}: choose from {', '.join(choices)}"


# --------------------------------------------------------------------------- texts: the network


def unreachable(exc: OSError) -> str:
    """A connection that failed at start (no network, a name that does not resolve, a refused port), in one
    line: the library's own words say which host; the rest is what to check."""
    return f"{exc or type(exc).__name__} (is the network up, and the host reachable from here?)"


# --------------------------------------------------------------------------- texts: Discord


def discord_token_rejected(variable: str) -> str:
    return f"{variable} was rejected by Discord: check the bot token"


DISCORD_INTENTS_REFUSED = "Discord refused the gateway intents; this bot needs no privileged intent"


def not_a_discord_id(variable: str, value: object) -> str:
    return f"{variable}: {value!r} is not a Discord id (enable Developer Mode, then right-click → Copy ID)"


# --------------------------------------------------------------------------- texts: Slack
# (Messages naming secret variables, not secrets: S105 is a false alarm for every one of them.)

SLACK_BOT_TOKEN_KIND = "SLACK_BOT_TOKEN must be the bot token (xoxb-...) from OAuth & Permissions"
SLACK_SOCKET_WITH_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET is set but INTERP_BOT_SLACK_MODE is socket: set SLACK_APP_TOKEN for Socket Mode, "
    "or INTERP_BOT_SLACK_MODE=http to receive signed HTTP requests")
SLACK_SOCKET_NEEDS_APP_TOKEN = (
    "Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token with connections:write); "
    "or set INTERP_BOT_SLACK_MODE=http and SLACK_SIGNING_SECRET")
def slack_app_token_refused(error: str) -> str:
    return (f"Slack refused SLACK_APP_TOKEN ({error}): it must be an xapp- app-level token with connections:write, "
            "and Socket Mode must be on")


def discord_out_of_reach(action: str, channel_id: int, reason: str) -> str:
    return f"discord: could not {action} channel {channel_id}: Discord did not answer ({reason}); tried again later"


def slack_bot_token_refused(error: str) -> str:
    return (f"Slack refuses SLACK_BOT_TOKEN ({error}): the token was revoked or rotated, the app uninstalled, or the "
            "bot user deactivated; put a current xoxb- token in SLACK_BOT_TOKEN and restart")


def voting_emoji_never_sent(variable: str, name: str, platform: str, known: list[str]) -> str:
    names = ", ".join(known)
    if platform == "discord":
        return (f"{variable}: {name!r} has no emoji character interp-bot knows, and Discord sends reactions as "
                f"characters, so its votes would never count; use one of {names}, or the emoji itself if the bot runs "
                "on Discord alone")
    return (f"{variable}: {name!r} is an emoji character, and Slack sends reactions by name (rocket, not 🚀), so its "
            f"votes would never count; use its Slack name (on Discord too, one of {names})")


SLACK_APP_TOKEN_KIND = "SLACK_APP_TOKEN must be an app-level token (xapp-...) with connections:write"
SLACK_SOCKET_BOTH_SECRETS = (
    "both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set: Socket Mode uses only the app token, HTTP mode only "
    "the signing secret; unset the one you do not use")
SLACK_HTTP_NEEDS_SIGNING_SECRET = (
    "HTTP mode (INTERP_BOT_SLACK_MODE=http) needs SLACK_SIGNING_SECRET (Basic Information → App Credentials)")
SLACK_HTTP_BOTH_SECRETS = (
    "both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set: HTTP mode uses only the signing secret, Socket Mode "
    "only the app token; unset the one you do not use")
SLACK_HTTP_PORT_RANGE = "INTERP_BOT_SLACK_HTTP_PORT must be a port number from 1 to 65535"


# --------------------------------------------------------------------------- texts: GitHub
# (Messages naming the GITHUB_TOKEN variable, not the token: S105 is a false alarm here too.)

GITHUB_TOKEN_SCOPES = ("a fine-grained token for that repository with Contents: Read and write and "
                       "Pull requests: Read and write (docs/github.md)")
GITHUB_NEEDS_TOKEN = f"INTERP_BOT_GITHUB_REPO is set but GITHUB_TOKEN is not: publishing needs {GITHUB_TOKEN_SCOPES}"


def github_token_refused(repo: str, action: str, detail: str) -> str:
    return f"GITHUB_TOKEN cannot {action} {repo} ({detail}): it needs {GITHUB_TOKEN_SCOPES}"


def github_not_a_clone(directory: object, repo: str) -> str:
    return (f"{directory} is not a clone of {repo}: run `interp-bot init --from-github {repo}` "
            "(or point INTERP_BOT_CATALOGUE_DIR at the catalogue/ folder of a clone)")
