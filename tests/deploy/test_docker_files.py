"""The deployment files, checked for structure: no Docker engine runs here, so these read the files.

(Checked once by hand as well: docker-compose.yml validates against the Compose specification's JSON schema.)
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import SECRET_NAMES, Settings, env_name

REPO = Path(__file__).resolve().parents[2]
BOTS = ("discord", "slack")
BUILD_TOOLS = ("build-essential", "gcc", "g++", "make", "clang", "-dev ", "-dev\n", "cargo", "rustc")


# ------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_health(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    volume, target = postgres["volumes"][0].split(":")[:2]
    assert target == "/var/lib/postgresql/data"
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?"), "never a literal"
    assert postgres["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", BOTS)
def test_each_platform_runs_the_same_image_once_postgres_is_healthy(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    others = [compose["services"][other] for other in BOTS if other != name]
    assert all((o["build"], o["image"]) == (service["build"], service["image"]) for o in others)
    assert service["build"] == "."
    assert service["command"] == ["run", "--adapter", name]
    assert service["profiles"] == [name], "starts only when its profile is active (COMPOSE_PROFILES in .env)"
    assert service["env_file"] in (".env", [".env"])
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "interp-bot" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] == "unless-stopped"
    assert service.get("stop_signal", "SIGTERM") == "SIGTERM"
    url = service["environment"]["INTERP_BOT_DATABASE_URL"]
    assert url.startswith("postgresql://")
    assert "@postgres:5432/" in url
    assert "${POSTGRES_PASSWORD:?" in url
    mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
    assert mounts["/app/catalogue"] == "./catalogue"
    assert service["environment"]["INTERP_BOT_CATALOGUE_DIR"] == "/app/catalogue"
    assert not any(secret in service["environment"] for secret in SECRET_NAMES), "secrets come from .env only"


@pytest.mark.parametrize("name", BOTS)
def test_github_mode_runs_each_platform_on_a_clone_kept_in_a_volume(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][f"{name}-github"]
    plain = compose["services"][name]
    assert (service["build"], service["image"]) == (plain["build"], plain["image"])
    assert service["command"] == ["run", "--adapter", name]
    assert service["profiles"] == [f"{name}-github"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
    assert mounts["/app/list"] in compose["volumes"], "the clone lives in a named volume"
    assert service["environment"]["INTERP_BOT_CATALOGUE_DIR"] == "/app/list/catalogue"
    assert service["depends_on"]["github-init"]["condition"] == "service_completed_successfully"
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["environment"]["INTERP_BOT_DATABASE_URL"] == plain["environment"]["INTERP_BOT_DATABASE_URL"]
    assert not any(secret in service["environment"] for secret in SECRET_NAMES), "secrets come from .env only"
    assert service["restart"] == "unless-stopped"


def test_github_init_clones_once_into_the_same_volume_before_either_bot(compose: dict[str, Any]) -> None:
    init = compose["services"]["github-init"]
    assert init["command"] == ["init"]  # the repository comes from INTERP_BOT_GITHUB_REPO in .env
    assert set(init["profiles"]) == {f"{name}-github" for name in BOTS}
    assert init["volumes"] == compose["services"]["discord-github"]["volumes"]
    assert init["environment"]["INTERP_BOT_CATALOGUE_DIR"] == "/app/list/catalogue"
    assert init["restart"] == "no"
    assert init["healthcheck"] == {"disable": True}
    runtime = " ".join(a for i, a in dockerfile_stages()[-1] if i == "RUN")
    assert "/app/list" in runtime.split("chown", 1)[1], "a new named volume takes the image's owner: the bot user"
    assert "git" in runtime.split("apt-get install", 1)[1].split("&&")[0]


def test_every_variable_compose_substitutes_is_in_env_example() -> None:
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    example = env_example()
    for variable in set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text)) | {"COMPOSE_PROFILES"}:
        assert variable in example, f"{variable} is used by docker-compose.yml but missing from .env.example"


# ------------------------------------------------------------------ Dockerfile


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    stages: list[list[tuple[str, str]]] = []
    for line in filter(str.strip, logical.splitlines()):
        instruction, _, arguments = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_dockerfile_is_multi_stage_on_a_slim_python_base() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        assert re.match(r"python:\$\{PYTHON_VERSION\}-slim|python:3\.\d+-slim", stage[0][1]), stage[0][1]
    runtime = stages[-1]
    assert any(i == "COPY" and a.startswith("--from=") for i, a in runtime), "the runtime copies the built venv"


def test_runtime_stage_has_no_build_tools_and_runs_as_a_user() -> None:
    runtime = dict_of(dockerfile_stages()[-1])
    installs = " ".join(a for i, a in dockerfile_stages()[-1] if i == "RUN") + "\n"
    assert not [tool for tool in BUILD_TOOLS if tool in installs]
    assert "--no-install-recommends" in installs
    assert "rm -rf /var/lib/apt/lists" in installs
    user = runtime["USER"]
    assert user not in ("root", "0")
    assert not user.startswith("0:")


def test_runtime_stage_has_a_healthcheck_and_the_cli_as_entrypoint() -> None:
    runtime = dict_of(dockerfile_stages()[-1])
    assert "interp-bot" in runtime["HEALTHCHECK"]
    assert "--interval" in runtime["HEALTHCHECK"]
    assert json.loads(runtime["ENTRYPOINT"]) == ["interp-bot"]  # exec form: signals reach the bot
    assert json.loads(runtime["CMD"]) == ["run"]
    assert runtime.get("STOPSIGNAL", "SIGTERM") == "SIGTERM"
    env_lines = " ".join(a for i, a in dockerfile_stages()[-1] if i == "ENV")
    env = dict(part.split("=", 1) for part in shlex.split(env_lines))
    assert env["INTERP_BOT_CATALOGUE_DIR"] == "/app/catalogue"  # where compose mounts the list


def dict_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    return dict(stage)  # the last of each instruction wins, as in Docker


def test_dockerignore_keeps_secrets_out_and_what_the_build_needs_in() -> None:
    patterns = [p for p in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        verdict = False
        for pattern in patterns:  # the last matching line decides; "!" re-includes
            negate = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!")) or fnmatch.fnmatch(path.split("/")[0], pattern.lstrip("!")):
                verdict = not negate
        return verdict

    for path in (".env", ".env.local", "interp-bot.db", ".git", "tests", ".venv"):
        assert ignored(path), path
    for path in ("pyproject.toml", "README.md", "bot", "bot/cli.py", "catalogue", "catalogue/a.yaml", "feeds.yaml"):
        assert not ignored(path), path


# ------------------------------------------------------------------ .env.example


def env_example() -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(REPO / ".env.example").items()}


def test_env_example_documents_every_setting_with_secrets_empty() -> None:
    example = env_example()
    for field in Settings.model_fields:
        assert env_name(field) in example, f"{env_name(field)} is missing from .env.example"
    for secret in (*SECRET_NAMES, "POSTGRES_PASSWORD"):
        assert example[secret] == "", f"{secret} must be empty in the example"
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            above = number - 1
            while above >= 0 and "=" in lines[above] and not lines[above].startswith("#"):
                above -= 1
            assert above >= 0, f"line {number + 1} ({line}) has no comment"
            assert lines[above].startswith("#"), f"line {number + 1} ({line}) has no comment"


def test_readme_configuration_table_names_every_setting() -> None:
    """docs/operations.md: ".env.example has every setting ...; the README has the same table". A row may shorten a
    name that shares the row's previous one: `INTERP_BOT_DISCORD_MAINTAINER_ROLE_IDS`, `..._USER_IDS`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    for row in table.splitlines():
        full = ""
        for name in re.findall(r"`((?:\.\.\.)?[A-Z][A-Z0-9_]+|\.\.\._[A-Z0-9_]+)`", row):
            if name.startswith("..."):
                cuts = [full[:i] for i, char in enumerate(full) if char == "_"]
                named.update(cut + name[3:] for cut in cuts)
            else:
                full = name
                named.add(name)
    missing = [env_name(field) for field in Settings.model_fields if env_name(field) not in named]
    assert not missing, f"the README's configuration table lacks {missing}"


def test_env_example_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copying the example to .env changes nothing until the operator edits it."""
    monkeypatch.delenv("INTERP_BOT_DATABASE_URL", raising=False)
    from_example = Settings(_env_file=REPO / ".env.example")  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_example == defaults


# ------------------------------------------------------------------ operations guide


def test_operations_guide_covers_the_operators_tasks_with_real_commands() -> None:
    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    headings = "\n".join(line.lower() for line in guide.splitlines() if line.startswith("#"))
    for topic in ("deploy", "configur", "back", "upgrad", "rotat", "sqlite", "several processes", "status", "log"):
        assert topic in headings, f"docs/operations.md has no section about {topic!r}"
    from bot.cli.main import _parser

    commands = set(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    code = " ".join(re.findall(r"```.*?```|`[^`\n]+`", guide, flags=re.S))  # commands, not prose
    used = set(re.findall(r"interp-bot (?:--[a-z-]+ \S+ )*([a-z][a-z-]+)\b(?!:)", code))
    assert used, f"the guide names commands the CLI lacks: {used - commands}"
    assert used <= commands, f"the guide names commands the CLI lacks: {used - commands}"
    for profile in BOTS:
        assert f"--profile {profile}" in guide or f"COMPOSE_PROFILES={profile}" in guide
    github_guide = (REPO / "docs" / "github.md").read_text(encoding="utf-8")
    for profile in BOTS:
        assert f"COMPOSE_PROFILES={profile}-github" in github_guide or f"--profile {profile}-github" in github_guide
    code = " ".join(re.findall(r"```.*?```|`[^`\n]+`", github_guide, flags=re.S))
    assert set(re.findall(r"interp-bot (?:--[a-z-]+ \S+ )*([a-z][a-z-]+)\b(?!:)", code)) <= commands


# ------------------------------------------------------------------ the lock file


def locked_versions() -> dict[str, str]:
    """name -> pinned version, from requirements.lock (`uv pip compile ... --generate-hashes`)."""
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_the_image_installs_exactly_the_locked_versions_of_every_extra() -> None:
    """Every dependency the image needs (core + [all]) is pinned, within pyproject's ranges, with hashes."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"],
              *(r for name in ("discord", "slack", "postgres", "github") for r in extras[name])]
    assert extras["all"] == ["interp-bot[discord,slack,postgres,github]"]
    pins = locked_versions()
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: re-run uv pip compile"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement.specifier}"
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    assert lock.count("--hash=sha256:") >= len(pins)
    build = " ".join(a for i, a in dockerfile_stages()[0] if i == "RUN")
    assert "--require-hashes" in build
    assert "-r requirements.lock" in build
