"""Publishing the list where its readers are: a clone of the list's GitHub repository as the catalogue, approvals
as commits on a branch, pull requests opened and followed through GitHub's REST API (githubkit), and the clone
kept in sync with the default branch.

    auth.py        how the token travels: an HTTP header in git's environment, never a URL or an argument
    git.py         the git commands, in the clone and in scratch worktrees; errors without the token
    api.py         the REST calls used (repository, pulls) through githubkit; refusals name GITHUB_TOKEN
    texts.py       pull request titles and bodies, commit messages, the notices maintainers read
    publisher.py   Publisher: record approvals, sync, build branches, open / update / follow pull requests
    clone.py       `interp-bot init --from-github OWNER/NAME`
"""
