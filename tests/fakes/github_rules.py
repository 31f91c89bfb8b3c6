"""GitHub's checks of a push to the loopback GitHub (tests/fakes/github_fake.py), as a pre-receive hook on its bare
repository that refuses with GitHub's words.

* a protected branch: GitHub's two `remote: error:` lines (GH006), "protected branch hook declined"
* a ref update whose change from its old commit touches .github/workflows/, by a token without the "workflows"
  right (the fake sets FAKE_GITHUB_WORKFLOWS for one that has it): GitHub names the file

People on GitHub (the fake's helpers, which set FAKE_GITHUB_PERSON) pass: their edit of a protected branch is a
merged pull request.
"""

from __future__ import annotations

from pathlib import Path

_HOOK = """#!/bin/sh
[ -n "$FAKE_GITHUB_PERSON" ] && exit 0
zero=0000000000000000000000000000000000000000
while read old new ref; do
  for guarded in PROTECTED; do
    if [ "$ref" = "$guarded" ]; then
      echo "error: GH006: Protected branch update failed for $ref." >&2
      echo "error: Changes must be made through a pull request." >&2
      exit 1
    fi
  done
  if [ "$old" != "$zero" ] && [ "$new" != "$zero" ] && [ -z "$FAKE_GITHUB_WORKFLOWS" ]; then
    changed=$(git diff --name-only "$old" "$new" -- .github/workflows | head -n 1)
    if [ -n "$changed" ]; then
      why='refusing to allow a Personal Access Token to create or update workflow'
      printf '%s `%s` without `workflows` permission\\n' "$why" "$changed" >&2
      exit 1
    fi
  fi
done
exit 0
"""


def write_push_rules(bare: Path, protected: set[str]) -> None:
    """(Re)write the hook for the `protected` branches."""
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(_HOOK.replace("PROTECTED", " ".join(f"refs/heads/{branch}" for branch in sorted(protected))))
    hook.chmod(0o755)
