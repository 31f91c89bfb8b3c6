"""One typed settings object, read from the environment, an optional `.env`, and an optional YAML file.

Secrets keep the names their ecosystems use (DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
SLACK_SIGNING_SECRET, GITHUB_TOKEN) and come only from the environment or `.env`, never from the YAML file.
Everything else is INTERP_BOT_<NAME>; structured values (maintainers, emoji) may live in the YAML file
named by INTERP_BOT_CONFIG.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from bot import errors
from bot.errors import ConfigError
from bot.settings_files import (
    config_file_named,
    config_file_values,
    explicitly_empty,
    read_dotenv,
    readable_as_utf8,
)

SECRET_NAMES = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "GITHUB_TOKEN")
ENV_PREFIX = "INTERP_BOT_"

GITHUB_REPO_RE = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"


def _split_list(value: Any) -> Any:
    """Accept "a, b" and "a b" in environment variables as well as real lists (from YAML)."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


IdList = Annotated[list[str], NoDecode]


class Maintainer(BaseModel):
    """One person, known by an id on each platform, so their votes count once across platforms."""

    name: str
    discord: list[str] = []
    slack: list[str] = []

    @field_validator("discord", "slack", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return _split_list(value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # `DISCORD_TOKEN=` (as .env.example has it) means unset, not an empty token
    )

    # --- where things are
    catalogue_dir: Path = Path("catalogue")
    database_url: str = "sqlite:///interp-bot.db"
    feeds_file: Path = Path("feeds.yaml")
    config: Path | None = None
    log_level: str = "INFO"
    log_json: bool = False
    timezone: str = "UTC"

    # --- intake
    allow_private_addresses: bool = False
    user_agent_contact: str = "https://github.com/interp-bot/interp-bot"
    # The shipped model's threshold (bot.intake.relevance.DEFAULT_THRESHOLD; a test holds them equal).
    relevance_threshold: float = Field(0.395133, ge=0.0, le=1.0)
    max_candidates_per_day: int = Field(10, ge=0)  # a day in `timezone`; the best first, the rest held back
    first_poll_max_items: int = Field(3, ge=0)
    page_size: int = Field(8, ge=1, le=25)

    # --- curation
    approve_emoji: IdList = ["white_check_mark", "+1"]
    reject_emoji: IdList = ["x", "-1"]
    topic_emoji: IdList = ["one", "two", "three"]
    approvals_needed: int = Field(2, ge=1)
    rejections_needed: int = Field(1, ge=1)
    candidate_expiry_days: int = Field(14, ge=1, le=36500)  # a century: dates beyond that overflow
    maintainers: Annotated[list[Maintainer], NoDecode] = []
    console_maintainer: str = "console"
    git_commit: bool = False

    # --- digest
    digest_time: str = "09:00"
    digest_on_empty: Literal["skip", "post"] = "skip"

    # --- discord
    discord_token: SecretStr | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN"))
    discord_guild_ids: IdList = []
    discord_maintainers_channel_id: str = ""
    discord_digest_channel_id: str = ""
    discord_maintainer_role_ids: IdList = []
    discord_maintainer_user_ids: IdList = []
    discord_ephemeral: bool = False

    # --- slack
    slack_bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"))
    slack_mode: Literal["socket", "http"] = "socket"
    slack_http_port: int = 3000
    slack_maintainers_channel: str = ""
    slack_digest_channel: str = ""
    slack_maintainer_user_ids: IdList = []
    slack_maintainer_usergroups: IdList = []
    slack_ephemeral: bool = True
    slack_api_url: str = "https://slack.com/api/"

    # --- github (docs/github.md)
    github_repo: str = ""  # owner/name: setting it publishes approvals to that repository
    github_token: SecretStr | None = Field(None, validation_alias=AliasChoices("GITHUB_TOKEN"))
    github_mode: Literal["pull-request", "pull-request-each", "push"] = "pull-request"
    github_sync_minutes: int = Field(5, ge=1, le=1440)
    github_api_url: str = "https://api.github.com"
    github_git_url: str = ""  # default https://github.com/OWNER/NAME.git; tests point it at a local remote
    # The repository's front page, kept rendered from the catalogue (readers see it first); "" leaves it alone.
    github_readme: str = "README.md"

    @field_validator(
        "approve_emoji", "reject_emoji", "topic_emoji", "discord_guild_ids", "discord_maintainer_role_ids",
        "discord_maintainer_user_ids", "slack_maintainer_user_ids", "slack_maintainer_usergroups",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("approve_emoji", "reject_emoji", "topic_emoji", mode="after")
    @classmethod
    def _emoji_names(cls, names: list[str]) -> list[str]:
        """Votes arrive under one canonical name (Discord's ✅ and Slack's `white_check_mark` alike; Slack's 👍 is
        `+1`): a setting written as `:x:`, `✅` or `thumbsup` must name the same emoji, or its votes never count."""
        from bot.chat.emoji import to_name

        return list(dict.fromkeys(name for name in map(to_name, names) if name))

    @field_validator("maintainers", mode="before")
    @classmethod
    def _maintainer_list(cls, value: Any) -> Any:
        """From the environment: a JSON or YAML list (JSON is YAML), e.g. `[{name: ada, discord: ['1234']}]`."""
        if not isinstance(value, str):
            return value
        import yaml

        try:
            parsed = yaml.safe_load(value) if value.strip() else []
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at character {mark.column + 1}" if mark is not None and mark.line == 0 else ""
            raise ValueError(f"not a JSON or YAML list{where} ({getattr(exc, 'problem', None) or exc}); expected "
                             "e.g. [{name: ada, discord: ['1234'], slack: [U01]}]") from None
        if parsed is None:
            return []
        if not isinstance(parsed, list):
            raise ValueError("must be a list of {name, discord, slack}, e.g. [{name: ada, slack: [U01]}]")
        return parsed

    @field_validator("maintainers", mode="after")
    @classmethod
    def _one_person_per_id(cls, people: list[Maintainer]) -> list[Maintainer]:
        """A name, or an id, given to two people would count one person's votes as the other's (the last listed)."""
        names: set[str] = set()
        owners: dict[tuple[str, str], str] = {}
        for person in people:
            if person.name in names:
                raise ValueError(f"the name {person.name!r} is given to two maintainers")
            names.add(person.name)
            for platform, ids in (("discord", person.discord), ("slack", person.slack)):
                for ident in ids:
                    if (first := owners.setdefault((platform, ident), person.name)) != person.name:
                        raise ValueError(f"{platform} id {ident} is given to two maintainers ({first} and "
                                         f"{person.name})")
        return people

    @field_validator(*(name.lower() for name in SECRET_NAMES), mode="before")
    @classmethod
    def _secret_text(cls, value: Any) -> Any:
        """A secret as written to a file usually ends in a newline: it would make an illegal HTTP header (whose
        error message then quoted the token), and never match what the log redactor looks for. Nothing but
        whitespace is no secret: unset, as an empty variable is (`status` called DISCORD_TOKEN=" " configured)."""
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> Any:
        import logging

        level = str(value).strip().upper()
        if level not in logging.getLevelNamesMapping():  # WARN, FATAL and NOTSET are names logging knows too
            raise ValueError(f"{value!r} is no log level: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # The rest of the URL is checked where the engine is made (bot.store.db), without importing SQLAlchemy here.
        if not value.strip():
            raise ValueError("is empty: give sqlite:///FILE or postgresql://USER@HOST/DB")
        return value.strip()

    @field_validator("digest_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        try:
            hour, minute = (int(part) for part in value.split(":"))
        except ValueError:
            raise ValueError("digest_time must be HH:MM, e.g. 09:00") from None
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError("digest_time must be HH:MM, e.g. 09:00")
        return f"{hour:02d}:{minute:02d}"

    @field_validator("github_repo")
    @classmethod
    def _owner_name(cls, value: str) -> str:

        value = value.strip().removeprefix("https://github.com/").removesuffix(".git").strip("/")
        if value and not re.match(GITHUB_REPO_RE, value):
            raise ValueError("must be OWNER/NAME, e.g. JShollaj/awesome-llm-interpretability")
        return value

    @field_validator("github_git_url", "github_api_url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        from urllib.parse import urlsplit

        value = value.strip()
        try:
            userinfo = urlsplit(value).netloc.rpartition("@")[0]
        except ValueError:
            raise ValueError("is not a URL") from None
        if userinfo:  # never quoted: it would be the token
            raise ValueError("must not carry credentials (user:token@): the token goes in GITHUB_TOKEN only, so it "
                             "never lands in the clone's .git/config or in a log")
        return value

    @field_validator("slack_api_url", "github_api_url", mode="after")
    @classmethod
    def _web_url(cls, value: str) -> str:  # `slack.com/api/` failed at start in the HTTP library, with a traceback
        from urllib.parse import urlsplit

        if (parts := urlsplit(value.strip())).scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL, e.g. https://slack.com/api/ or https://api.github.com")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        # An empty variable is unset (env_ignore_empty), except for a setting whose empty value is documented to
        # mean something: INTERP_BOT_GITHUB_README= leaves the repository's README alone.
        variables = {name: env_name(name) for name in EMPTY_IS_A_VALUE}
        if empty := explicitly_empty(variables, getattr(dotenv_settings, "env_file", ".env")):
            sources.insert(1, InitSettingsSource(settings_cls, init_kwargs=empty))
        # The config file may be named in .env as well as in the environment (.env.example lists it there).
        config_file = config_file_named(getattr(dotenv_settings, "env_vars", {}))
        if config_file:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=_config_file(config_file)))
        return tuple(sources)

    # ------------------------------------------------------------------ helpers

    def require(self, *fields: str) -> None:
        """Fail fast naming the variable to set when a needed value is missing."""
        missing = [env_name(name) for name in fields if not _present(getattr(self, name))]
        if missing:
            raise ConfigError(errors.missing_settings(missing))

    def secret_values(self) -> list[str]:
        """Every secret's value, for the log redactor."""
        values = []
        for name in ("discord_token", "slack_bot_token", "slack_app_token", "slack_signing_secret", "github_token"):
            secret = getattr(self, name)
            if secret is not None and secret.get_secret_value():
                values.append(secret.get_secret_value())
        if self.github_token is not None and self.github_token.get_secret_value():
            from bot.github.auth import basic_credentials

            values.append(basic_credentials(self.github_token.get_secret_value()))  # how git sends it
        from bot.store.urls import url_passwords

        values += url_passwords(self.database_url)  # a driver's error may quote the URL it was given
        return values

    @property
    def github_enabled(self) -> bool:
        return bool(self.github_repo)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# Settings whose empty value is a value, not "unset" (README, .env.example: "empty leaves it alone").
EMPTY_IS_A_VALUE = ("github_readme",)


def _config_file(path: str) -> dict[str, Any]:
    """The INTERP_BOT_CONFIG file's settings: only known ones, and no secret."""
    return config_file_values(path, known=Settings.model_fields, secret_names=SECRET_NAMES)


def _present(value: Any) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


def env_name(field_name: str) -> str:
    if field_name.upper() in SECRET_NAMES:
        return field_name.upper()
    return f"{ENV_PREFIX}{field_name.upper()}"


# The command-line flags that override a setting (bot.cli.main passes them to load_settings).
_FLAGS = {"catalogue_dir": "--catalogue", "database_url": "--db", "feeds_file": "--feeds", "log_level": "--log-level"}


def _source_of(name: str, overrides: Mapping[str, Any]) -> str:
    """Where a setting's bad value came from, in the order the sources are read: a command-line flag, the
    environment, `.env`, then the INTERP_BOT_CONFIG file (which `.env` may name). Empty values are unset."""
    variable = env_name(name)
    if overrides.get(name) is not None:
        return f"{_FLAGS.get(name, name)} (or {variable})"
    if os.environ.get(variable):
        return variable
    dotenv = read_dotenv()
    if dotenv.get(variable):
        return f".env: {variable}"
    config = config_file_named(dotenv)
    # A config file that cannot be read has said so already, naming itself: here it only cannot be the source.
    with contextlib.suppress(ConfigError):
        if config and name in _config_file(config):
            return f"{config}: {name}"
    return variable


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning validation errors into a ConfigError that names each variable."""
    if Path(".env").is_file():
        readable_as_utf8(Path(".env"))
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            # Where in a structured value (INTERP_BOT_MAINTAINERS item 2, name), then pydantic's words.
            inside = " ".join(f"item {part + 1}" if isinstance(part, int) else str(part) for part in error["loc"][1:])
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{_source_of(name, overrides)}: {inside + ': ' if inside else ''}{message}")
        raise ConfigError(errors.invalid_settings(lines)) from None
    except SettingsError as exc:  # a value pydantic-settings could not even decode (a JSON field's bad JSON)
        cause = exc.__cause__ or exc
        raise ConfigError(errors.invalid_settings([f"{exc}: {cause}"])) from None
