"""How the token reaches GitHub: as an Authorization header, never inside a URL, an argument or a file.

git gets the header through its environment (GIT_CONFIG_COUNT / _KEY_n / _VALUE_n), which, unlike a command
line, no other user of the machine can read; githubkit sends it as a bearer token. The header's base64 form is
registered with the log redactor too (Settings.secret_values), since git's trace output would show that form.
"""

from __future__ import annotations

import base64
import os


def basic_credentials(token: str) -> str:
    """The credentials part of `Authorization: Basic ...` that GitHub accepts for a token over HTTPS."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")


def git_environment(token: str | None, remote_url: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a git command: no prompts, no credential helpers, stable messages, an identity for
    commits, and (with a token, for http(s) remotes) the Authorization header scoped to `remote_url`."""
    env = dict(os.environ if base is None else base)
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_ASKPASS": "", "SSH_ASKPASS": ""})
    for name, value in (("GIT_AUTHOR_NAME", "interp-bot"), ("GIT_COMMITTER_NAME", "interp-bot"),
                        ("GIT_AUTHOR_EMAIL", "interp-bot@users.noreply.github.com"),
                        ("GIT_COMMITTER_EMAIL", "interp-bot@users.noreply.github.com")):
        env.setdefault(name, value)
    settings = [("credential.helper", "")]  # never a helper's stored credentials: the token or nothing
    if token and remote_url.startswith(("http://", "https://")):
        settings.append((f"http.{remote_url}.extraHeader", f"Authorization: Basic {basic_credentials(token)}"))
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)  # keep what the image sets (safe.directory)
    for offset, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{count + offset}"] = key
        env[f"GIT_CONFIG_VALUE_{count + offset}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(settings))
    return env
