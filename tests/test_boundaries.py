"""Architecture rules a test can hold: the core knows no chat platform, and lookups start light.

Ruff's banned-api rule (TID251 in pyproject.toml) holds the first at lint time; this test holds it for any import
form ruff does not see (an importlib call would still show up in the one-shot lookup test below).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
PLATFORM_PACKAGES = ("discord", "slack_bolt", "slack_sdk")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_core_never_imports_a_chat_sdk() -> None:
    offenders = []
    for path in BOT.rglob("*.py"):
        if "adapters" in path.relative_to(BOT).parts[:1] and path.parent.name in ("discord", "slack"):
            continue
        for module in imported_modules(path):
            if module.split(".")[0] in PLATFORM_PACKAGES:
                offenders.append(f"{path.relative_to(BOT.parent)} imports {module}")
    assert offenders == []


def test_a_one_shot_lookup_loads_no_chat_sdk_database_feed_parser_or_relevance_model(catalogue_dir: Path) -> None:
    code = (
        "import sys; from bot.cli import main; main(['--catalogue', sys.argv[1], 'topic', 'probing']);"
        "heavy = [m for m in ('discord', 'slack_bolt', 'slack_sdk', 'sqlalchemy', 'feedparser', 'apscheduler',"
        " 'bot.intake.relevance', 'sklearn', 'numpy') if m in sys.modules]; print('HEAVY', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(catalogue_dir)], capture_output=True, text=True,
                            timeout=60, cwd=BOT.parent)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
