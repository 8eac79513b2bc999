# syntax=docker/dockerfile:1
#
# One image for every Event Review target: the entrypoint is `event-review` and
# each Deployment, Job or CronJob picks its target by argument, e.g.
#   docker run IMAGE serve review --host 0.0.0.0 --port 8000
#   docker run IMAGE forwarder --region eu
#   docker run IMAGE migrate
# Kubernetes probes (/healthz, /readyz) check health, so there is no HEALTHCHECK.
# checkov:skip=CKV_DOCKER_2: health is checked by Kubernetes readiness/liveness probes, and most targets (workers, jobs) serve no HTTP

# --- builder: the locked dependencies, then the wheel, into a venv ---
# Every dependency comes from requirements/image.lock, pinned and hash-checked
# (deploy/README.md, "Rebuilding the lock file"); the project's wheel goes in
# with --no-deps, so nothing unlocked reaches the venv, and `pip check` fails
# the build if the lock misses a dependency. The embedded PostgreSQL (the
# `embedded` extra) is not in the lock: the image always has DATABASE_URL.
FROM python:3.12-slim-trixie AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
RUN python -m venv /opt/venv
COPY requirements/image.lock ./requirements/
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r requirements/image.lock
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /build/wheels . \
    && /opt/venv/bin/pip install --no-deps /build/wheels/*.whl \
    && /opt/venv/bin/pip check \
    && /opt/venv/bin/event-review --help > /dev/null

# --- runtime: the venv only; no compilers, no pip cache, no sources ---
# Same base as the builder: the venv's interpreter path (/usr/local/bin/python3.12)
# must exist in both.
FROM python:3.12-slim-trixie AS runtime
LABEL org.opencontainers.image.title="event-review" \
      org.opencontainers.image.description="Event Review Platform: every central and regional target" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 event-review \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin event-review
COPY --from=builder /opt/venv /opt/venv
# EVENT_REVIEW_DATA_DIR points into /tmp (an emptyDir in Kubernetes) because the
# root file system is read-only; production sets DATABASE_URL, so no embedded
# PostgreSQL ever starts there.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EVENT_REVIEW_DATA_DIR=/tmp/event-review
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["event-review"]
CMD ["--help"]
