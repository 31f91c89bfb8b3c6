"""Settings: environment, .env and a YAML file; secrets only from the environment; errors name variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli.unknown_settings import unknown_variables
from bot.errors import ConfigError
from bot.settings import load_settings


def test_defaults_run_without_any_configuration() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.discord_token is None
    assert settings.approvals_needed == 2
    assert settings.approve_emoji == ["white_check_mark", "+1"]


def test_environment_lists_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERP_BOT_DISCORD_MAINTAINER_ROLE_IDS", "123, 456")
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-value")
    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", '[{"name": "alice", "discord": ["1"], "slack": "U1"}]')
    settings = load_settings()
    assert settings.discord_maintainer_role_ids == ["123", "456"]
    assert settings.maintainers[0].slack == ["U1"]
    assert "secret-token-value" not in repr(settings)
    assert settings.secret_values() == ["secret-token-value"]


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("INTERP_BOT_APPROVALS_NEEDED=3\nSLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    settings = load_settings()
    assert settings.approvals_needed == 3
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"


def test_a_token_of_only_spaces_is_unset_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """DISCORD_TOKEN=" ": `status` listed discord as configured, while `run` refused it as missing."""
    from bot.app import configured_adapters

    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "\n")
    settings = load_settings()
    assert (settings.discord_token, settings.slack_bot_token) == (None, None)
    assert configured_adapters(settings) == ["console"]
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        settings.require("discord_token")


def test_missing_and_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN, INTERP_BOT_DISCORD_MAINTAINERS_CHANNEL_ID"):
        load_settings().require("discord_token", "discord_maintainers_channel_id")
    monkeypatch.setenv("INTERP_BOT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("INTERP_BOT_APPROVALS_NEEDED", "zero")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "INTERP_BOT_TIMEZONE" in str(info.value)
    assert "INTERP_BOT_APPROVALS_NEEDED" in str(info.value)


def test_a_yaml_config_file_holds_structure_but_never_secrets(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "interp-bot.yaml"
    config.write_text("maintainers:\n  - name: alice\n    discord: ['1']\n    slack: ['U1']\napprovals_needed: 1\n")
    monkeypatch.setenv("INTERP_BOT_CONFIG", str(config))
    settings = load_settings()
    assert settings.maintainers[0].name == "alice"
    assert settings.approvals_needed == 1
    config.write_text("discord_token: oops\n")
    with pytest.raises(ConfigError, match="secrets"):
        load_settings()
    monkeypatch.setenv("INTERP_BOT_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_a_log_level_is_one_logging_knows(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(log_level="warn").log_level == "WARN"  # logging's own alias of WARNING
    monkeypatch.setenv("INTERP_BOT_LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
    monkeypatch.setenv("INTERP_BOT_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError, match="INTERP_BOT_LOG_LEVEL: 'LOUD' is no log level: use DEBUG, INFO, WARNING"):
        load_settings()
    monkeypatch.setenv("INTERP_BOT_LOG_LEVEL", "INFO")  # the flag is what was wrong, and is named
    with pytest.raises(ConfigError, match=r"--log-level \(or INTERP_BOT_LOG_LEVEL\): 'LOUD' is no log level"):
        load_settings(log_level="LOUD")


def test_a_mistyped_setting_is_named_with_the_one_it_may_mean(tmp_path: Path, monkeypatch) -> None:
    """A typo leaves the default in force: the environment's is warned about (other programs' variables may share
    the prefix in a shared environment, tests' own are left alone), the config file's refused."""
    environ = {"INTERP_BOT_APROVALS_NEEDED": "3", "INTERP_BOT_DATABASE_URL": "sqlite:///x.db",
               "INTERP_BOT_TEST_POSTGRES_URL": "postgresql://x", "INTERP_BOT_NONSENSE": "1", "PATH": "/bin"}
    assert unknown_variables(environ) == [
        "INTERP_BOT_APROVALS_NEEDED is not a setting (did you mean INTERP_BOT_APPROVALS_NEEDED?)",
        "INTERP_BOT_NONSENSE is not a setting"]
    # Names pydantic reads are not warned about: any case, and a secret's prefixed name (populate_by_name), which
    # really is read; .env's names are checked too.
    (tmp_path / ".env").write_text("INTERP_BOT_DIGEST_TIEM=08:00\n", encoding="utf-8")
    assert unknown_variables({"INTERP_BOT_DISCORD_TOKEN": "x", "interp_bot_log_level": "INFO"}) == [
        "INTERP_BOT_DIGEST_TIEM is not a setting (did you mean INTERP_BOT_DIGEST_TIME?)"]
    monkeypatch.setenv("INTERP_BOT_DISCORD_TOKEN", "read-under-the-prefixed-name-too")
    (tmp_path / ".env").unlink()
    assert load_settings().discord_token.get_secret_value() == "read-under-the-prefixed-name-too"
    config = tmp_path / "interp-bot.yaml"
    config.write_text("aprovals_needed: 1\n")
    monkeypatch.setenv("INTERP_BOT_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (f"INTERP_BOT_CONFIG file {config}: 'aprovals_needed' is not a setting "
                               "(did you mean approvals_needed?)")


def test_a_key_given_twice_in_the_config_file_is_refused_with_its_line(tmp_path: Path, monkeypatch) -> None:
    """The catalogue and feeds.yaml refuse a repeated key; the config file let the last one win."""
    config = tmp_path / "interp-bot.yaml"
    config.write_text("approvals_needed: 2\ntimezone: UTC\napprovals_needed: 1\n", encoding="utf-8")
    monkeypatch.setenv("INTERP_BOT_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (f"INTERP_BOT_CONFIG names {config}, which cannot be read: line 3: duplicate key "
                               "'approvals_needed'")


def test_a_bad_value_in_the_config_file_is_named_as_the_files(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "interp-bot.yaml"
    config.write_text("maintainers: 5\n")
    monkeypatch.setenv("INTERP_BOT_CONFIG", str(config))
    with pytest.raises(ConfigError, match=f"{config}: maintainers: "):
        load_settings()
    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", "7")  # the environment wins, and is named when it is the culprit
    with pytest.raises(ConfigError, match="INTERP_BOT_MAINTAINERS: "):
        load_settings()
    monkeypatch.delenv("INTERP_BOT_MAINTAINERS")
    monkeypatch.delenv("INTERP_BOT_CONFIG")  # the file named in .env, as .env.example does it, with empty lines
    (tmp_path / ".env").write_text(f"INTERP_BOT_CONFIG={config}\nINTERP_BOT_MAINTAINERS=\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{config}: maintainers: "):  # an empty value is unset: not the culprit
        load_settings()


@pytest.mark.parametrize(("people", "why"), [
    ("[{name: ada, discord: ['1']}, {name: bob, discord: ['1']}]",
     "discord id 1 is given to two maintainers (ada and bob)"),
    ("[{name: ada, slack: [U1]}, {name: ada, slack: [U2]}]", "the name 'ada' is given to two maintainers"),
])
def test_one_id_or_name_belongs_to_one_maintainer(monkeypatch, people: str, why: str) -> None:
    """Two maintainers sharing a Discord id: the last listed got the other's votes, silently."""
    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", people)
    with pytest.raises(ConfigError, match=re.escape(why)):
        load_settings()


def test_github_settings_name_the_repository_and_keep_the_token_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.github.auth import basic_credentials

    monkeypatch.setenv("GITHUB_TOKEN", "github_pat_secret-value")
    monkeypatch.setenv("INTERP_BOT_GITHUB_REPO", "https://github.com/JShollaj/awesome-llm-interpretability.git")
    settings = load_settings()
    assert settings.github_repo == "JShollaj/awesome-llm-interpretability"
    assert settings.github_mode == "pull-request"
    assert "github_pat_secret-value" not in repr(settings)
    # git sends the token base64-encoded in a header: that form is redacted from logs too
    assert settings.secret_values() == ["github_pat_secret-value", basic_credentials("github_pat_secret-value")]

    monkeypatch.setenv("INTERP_BOT_GITHUB_REPO", "not a repository")
    monkeypatch.setenv("INTERP_BOT_GITHUB_MODE", "merge")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "INTERP_BOT_GITHUB_REPO: must be OWNER/NAME" in str(raised.value)
    assert "INTERP_BOT_GITHUB_MODE: Input should be 'pull-request', 'pull-request-each' or 'push'" in str(raised.value)


def test_a_token_inside_the_git_url_is_refused_without_being_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    """It would be written into the clone's .git/config, where the docs promise no token ever is."""
    monkeypatch.setenv("INTERP_BOT_GITHUB_REPO", "JShollaj/awesome-llm-interpretability")
    monkeypatch.setenv("INTERP_BOT_GITHUB_GIT_URL",
                       "https://x-access-token:github_pat_INURL000@github.com/JShollaj/awesome-llm-interpretability.git")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "INTERP_BOT_GITHUB_GIT_URL: must not carry credentials (user:token@)" in str(raised.value)
    assert "github_pat_INURL000" not in str(raised.value)


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_empty_github_readme_leaves_the_front_page_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            where: str) -> None:
    """README and .env.example: INTERP_BOT_GITHUB_README empty leaves the repository's README alone. An empty
    variable is otherwise unset, which kept README.md in force."""
    if where == "environment":
        monkeypatch.setenv("INTERP_BOT_GITHUB_README", "")
    else:
        (tmp_path / ".env").write_text("INTERP_BOT_GITHUB_README=\n")
    assert load_settings().github_readme == ""


def test_the_environment_wins_over_dotenv_for_github_readme(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("INTERP_BOT_GITHUB_README=\n")
    monkeypatch.setenv("INTERP_BOT_GITHUB_README", "FRONT.md")
    assert load_settings().github_readme == "FRONT.md"
    monkeypatch.delenv("INTERP_BOT_GITHUB_README")
    (tmp_path / ".env").write_text("INTERP_BOT_GITHUB_README=FRONT.md\n")
    monkeypatch.setenv("INTERP_BOT_GITHUB_README", "")
    assert load_settings().github_readme == ""
    monkeypatch.delenv("INTERP_BOT_GITHUB_README")
    assert load_settings().github_readme == "FRONT.md"


def test_an_empty_github_readme_is_read_from_the_env_file_the_settings_are_given(tmp_path: Path) -> None:
    """ff50d68 had no test: the empty value was read from ./.env whatever file the settings were given, so
    Settings(_env_file=None) or another file stopped rendering the front page because of a ./.env it never read."""
    from bot.settings import Settings

    (tmp_path / ".env").write_text("INTERP_BOT_GITHUB_README=\n")
    assert Settings(_env_file=None).github_readme == "README.md"  # type: ignore[call-arg]
    (tmp_path / "other.env").write_text("INTERP_BOT_APPROVALS_NEEDED=3\n")
    assert Settings(_env_file=tmp_path / "other.env").github_readme == "README.md"  # type: ignore[call-arg]
    (tmp_path / "other.env").write_text("INTERP_BOT_GITHUB_README=\n")
    (tmp_path / ".env").write_text("INTERP_BOT_GITHUB_README=FRONT.md\n")
    assert Settings(_env_file=tmp_path / "other.env").github_readme == ""  # type: ignore[call-arg]
