# syntax=docker/dockerfile:1
# Production image: gunicorn serving saas.wsgi with deploy/gunicorn.conf.py. The same image
# runs the Celery worker and beat (docker-compose.production.yml overrides the entrypoint).
#   docker build -t crm:$(git rev-parse --short HEAD) .
# No secret is baked in: the build's dummy values exist only for the collectstatic step.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the virtualenv, compiled translations, collected static files ----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Dependencies first (a layer that changes only with the locks): exactly the locked
# versions, each checked against its hash (`make lock` writes requirements/*.txt). The code
# runs from /app, not installed.
WORKDIR /app
COPY requirements/production.txt requirements/build.txt requirements/
RUN pip install --require-hashes --no-deps -r requirements/production.txt \
    && pip install --require-hashes --no-deps --target /opt/buildtools -r requirements/build.txt

COPY . .
# Translations: .po -> .mo (Babel, only in this stage: no msgfmt needed).
RUN PYTHONPATH=/opt/buildtools python -m saas.dev.compilemessages
# Static files, hashed and compressed (WhiteNoise's CompressedManifestStaticFilesStorage).
# Production settings refuse to load without their variables: build-only dummies, never
# used at run time (nothing connects during collectstatic).
RUN DJANGO_SETTINGS_MODULE=saas.settings.production \
    SECRET_KEY=build-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1rZXktMDEyMzQ1Njc4OTA= \
    DATABASE_URL=postgres://build@127.0.0.1:1/build \
    REDIS_URL=redis://127.0.0.1:1/0 \
    BASE_DOMAIN=build.invalid \
    STRIPE_LIVE_MODE=false \
    STRIPE_TEST_SECRET_KEY=sk_test_buildonly \
    AI_ENABLED=false \
    SENTRY_DSN= \
    python manage.py collectstatic --noinput \
    && python -m compileall -q saas shared_apps tenant_apps

# --- runtime: slim, no compilers, no build tools, not root --------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=saas.settings.production \
    PORT=8000
RUN groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin crm
COPY --from=build /opt/venv /opt/venv
# Owned by root, read-only for the app user.
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# /health/live answers on any host without touching the database (shared_apps/health).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health/live', timeout=4)"]
ENTRYPOINT ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
CMD ["saas.wsgi"]
