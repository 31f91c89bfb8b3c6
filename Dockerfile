# syntax=docker/dockerfile:1
# interp-bot: one image for every platform; `docker compose` runs it once per adapter (see docs/operations.md).
#
# Two stages: the build stage installs the package and its dependencies into a virtual environment; the
# runtime stage copies only that environment, so pip's caches and anything a build needed stay behind.
# Every dependency ships manylinux wheels (psycopg[binary] included), so nothing is compiled; if one ever needs a
# compiler, install it in the build stage only.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, pinned and hash-checked by requirements.lock (every extra: Discord, Slack, PostgreSQL, GitHub),
# so a code change does not reinstall them and every build gets the same versions. `uv pip compile` writes
# the lock from pyproject.toml (see docs/operations.md, "Installing and upgrading dependencies").
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-deps '.[all]' \
    && pip check \
    && interp-bot --version

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
# git for GitHub mode (docs/github.md: clone, commit, push, fetch) and INTERP_BOT_GIT_COMMIT=true; no compilers, no
# package caches.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 interp \
    && useradd --system --uid 10001 --gid interp --home-dir /app --no-create-home --shell /usr/sbin/nologin interp \
    && mkdir -p /app /app/list /data \
    && chown interp:interp /app /app/list /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The list and the sources are baked in as a default; compose mounts the operator's checkout over them.
COPY --chown=interp:interp catalogue ./catalogue
COPY --chown=interp:interp feeds.yaml ./feeds.yaml
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INTERP_BOT_CATALOGUE_DIR=/app/catalogue \
    INTERP_BOT_FEEDS_FILE=/app/feeds.yaml \
    INTERP_BOT_DATABASE_URL=sqlite:////data/interp-bot.db \
    GIT_AUTHOR_NAME=interp-bot \
    GIT_AUTHOR_EMAIL=interp-bot@localhost \
    GIT_COMMITTER_NAME=interp-bot \
    GIT_COMMITTER_EMAIL=interp-bot@localhost \
    GIT_CONFIG_COUNT=1 \
    GIT_CONFIG_KEY_0=safe.directory \
    GIT_CONFIG_VALUE_0=*
# By number (10001 is `interp`, created above), so a runtime that checks for a non-root user without reading the
# image's /etc/passwd (Kubernetes' runAsNonRoot) can tell.
USER 10001:10001
# SIGTERM (docker stop) ends `interp-bot run` cleanly: a job in flight gets 3 s to finish, connections close, exit 0.
STOPSIGNAL SIGTERM
# Healthy = the catalogue and the feeds file load, the database answers at the current schema, and every chat adapter
# this container runs reports its connection up in its heartbeat (`status` exits 1 otherwise: a container's hostname
# is its own).
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD interp-bot --log-level WARNING status > /dev/null || exit 1
ENTRYPOINT ["interp-bot"]
CMD ["run"]
