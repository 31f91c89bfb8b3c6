"""`interp-bot render --style awesome`: the list in the awesome lists' conventions, checked by awesome-lint itself
when it is installed (`npm ci --prefix .ci`, as CI does) and by the conventions' plain rules always."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from bot.catalogue.awesome import BADGE, render_awesome
from bot.catalogue.identifiers import link_keys
from bot.catalogue.yaml_io import load_catalogue
from tests.conftest import CATALOGUE, REPO

ITEM = re.compile(r"^- (?:\[(?P<title>[^\]]+)\]\((?P<url>\S+)\) - (?P<description>.+)|(?P<text>[^\[].*))$")


@pytest.fixture(scope="module")
def awesome() -> str:
    return render_awesome(load_catalogue(CATALOGUE))


def test_the_awesome_heading_badge_and_two_level_contents(awesome: str) -> None:
    lines = awesome.splitlines()
    assert lines[0] == f"# Awesome LLM Interpretability {BADGE}"
    contents = lines[lines.index("## Contents") + 2: lines.index("## Tutorial") - 1]
    assert all(re.match(r"^(  )?- \[[^\]]+\]\(#[^)]+\)$", line) for line in contents), contents
    assert "  - [By Topic](#by-topic)" in contents


def test_every_entry_is_a_link_and_a_description_and_no_link_leads_twice(awesome: str) -> None:
    body = awesome.split("## Tutorial", 1)[1]
    items = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(items) == 97  # every placement of the seed's 93 entries
    main_links = []
    for line in items:
        match = ITEM.match(line)
        assert match, line
        if match["url"]:
            assert match["description"].endswith("."), line
            assert re.match(r"[A-Z\[]|[a-z]+[A-Z]", match["description"]), line  # "ICLR", "Blog", "arXiv"
            main_links.append(next(v for kind, v in link_keys(match["url"]) if kind == "url"))
    assert len(main_links) == len(set(main_links))
    assert "- 🌟 In-context learning and induction heads - Listed under Attention." in items
    assert "[undefined" not in body and "[[" not in body  # no `[[label]](url)`: those read as references


@pytest.mark.skipif(not (REPO / ".ci" / "node_modules" / "awesome-lint").exists() or not shutil.which("node"),
                    reason="awesome-lint is not installed: `npm ci --prefix .ci` (CI runs it)")
def test_awesome_lint_passes_the_awesome_style_and_finds_no_new_error_in_the_list() -> None:
    result = subprocess.run([sys.executable, str(REPO / ".ci" / "awesome_lint.py")], capture_output=True,
                            text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "render --style awesome: 0 error(s)" in result.stdout


@pytest.mark.skipif(not (REPO / ".ci" / "node_modules" / "awesome-lint").exists() or not shutil.which("node"),
                    reason="awesome-lint is not installed: `npm ci --prefix .ci` (CI runs it)")
def test_the_list_still_passes_its_check_after_an_approval(catalogue_dir) -> None:
    """Each approved paper's `[[arxiv 2401]](url)` link is one more of awesome-lint's undefined references (GitHub
    shows it as the link it is): counted against the seed's, the list failed its CI check at its first approval."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.service import CatalogueService

    CatalogueService(catalogue_dir).append(
        Entry(id="not-all-features-are-linear", title="Not All Language Model Features Are Linear",
              links=(Link("arxiv 2405", "https://arxiv.org/abs/2405.14860"),)), "linearity")
    result = subprocess.run([sys.executable, str(REPO / ".ci" / "awesome_lint.py"), "--catalogue", str(catalogue_dir)],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
