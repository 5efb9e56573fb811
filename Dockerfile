# Production image: gunicorn serves Django, whitenoise serves the collected static files.
# Build and run through docker-compose.yml (see docs/running.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=registry.settings.prod

WORKDIR /app

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

# Runtime dependencies only: requirements.txt from its "Development and tests only"
# marker down (embedded PostgreSQL, pytest, playwright, ruff) stays out of the image.
COPY requirements.txt /tmp/requirements.txt
RUN sed '/^# --- Development and tests only/,$d' /tmp/requirements.txt > /tmp/requirements-prod.txt \
    && pip install -r /tmp/requirements-prod.txt \
    && rm /tmp/requirements.txt /tmp/requirements-prod.txt

COPY . .

# collectstatic needs importable prod settings, not real secrets: dummy values, build only.
RUN DJANGO_SECRET_KEY=collectstatic-build-only-dummy-key-not-used-at-run-time-0000 \
    REGISTRY_AUDIT_SEAL_KEY=collectstatic-build-only-dummy-key-not-used-at-run-time-0000 \
    DJANGO_EMAIL_URL=smtp://localhost:25 \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://unused@localhost:5432/unused \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/exports \
    && chown -R app:app /app/var

USER app

EXPOSE 8000

CMD ["gunicorn", "registry.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "120", "--access-logfile", "-"]
