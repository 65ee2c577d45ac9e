# The invite-bot image: `docker build -t invite-bot .`, then see docs/operations.md.
#
# The base is a build argument: any Debian-like image with python3 (3.11 or newer), its
# venv module and pip. For a build that is the same next month, pin it by digest, e.g.
#   --build-arg PYTHON_IMAGE=python:3.12-slim@sha256:<digest>
# The Python packages are pinned, with their hashes, by requirements.lock (its header
# says how to refresh it).
ARG PYTHON_IMAGE=python:3.12-slim

# ---- build: a virtualenv with the locked dependencies and the wheel built from here
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/invite-bot
WORKDIR /src
# Dependencies first, so a change to the code does not download them again.
COPY requirements.lock ./
RUN /opt/invite-bot/bin/pip install --require-hashes --no-deps --only-binary=:all: \
        -r requirements.lock
COPY pyproject.toml README.md ./
COPY invite_bot ./invite_bot
# The wheel (not the source tree) goes into the virtualenv; `pip check` fails the build
# when pyproject.toml asks for something requirements.lock does not pin.
RUN /opt/invite-bot/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/invite-bot/bin/pip install --no-deps --no-index /wheels/invite_bot-*.whl \
    && /opt/invite-bot/bin/pip check

# ---- the image: the base, the virtualenv, a user; no compiler, no source tree
FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --user-group --create-home \
        --home-dir /var/lib/invite-bot --shell /usr/sbin/nologin invite-bot
COPY --from=build /opt/invite-bot /opt/invite-bot
ENV PATH=/opt/invite-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000
# The default DATABASE_URL is a SQLite file in the working directory: mount a volume
# here for it to outlive the container (or set DATABASE_URL to PostgreSQL).
WORKDIR /var/lib/invite-bot
# Numeric, so that Kubernetes' runAsNonRoot can tell it is not root.
USER 10001:10001
EXPOSE 3000
# `serve` and `watch` answer GET /healthz on PORT (200 healthy, 503 not). No curl in a
# slim image: Python asks, bypassing any HTTP_PROXY, and fails on an error or a 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/invite-bot/bin/python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % (os.environ.get('PORT') or '3000'), timeout=4)"]
ENTRYPOINT ["invite-bot"]
CMD ["serve"]
