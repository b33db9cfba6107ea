"""Production: DEBUG off, HTTPS only, and every secret and service named in the environment.

Opt in with ``DJANGO_SETTINGS_MODULE=ppp.settings.production`` (``wsgi.py``, ``asgi.py`` and Procfile.production
do). Nothing here falls back to a development default: a missing variable stops the process at start-up with
its name, rather than signing sessions with a known key or writing to a SQLite file nobody backs up.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

if env.bool("DJANGO_DEBUG", default=False):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is on, but ppp.settings.production never runs in debug (it would show tracebacks and "
        "settings to anyone). Unset DJANGO_DEBUG, or use DJANGO_SETTINGS_MODULE=ppp.settings.local on a "
        "development machine."
    )
DEBUG = False

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set: production has no default secret. Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and keep it out of the repository."
    )
_missing = [
    name
    for name, example in (
        ("DJANGO_ALLOWED_HOSTS", "ppp.example.gov"),
        ("DATABASE_URL", "postgres://user:password@db.internal:5432/ppp"),
        ("CELERY_BROKER_URL", "redis://redis.internal:6379/0"),
    )
    if not env.str(name, default="")
]
if _missing:
    raise ImproperlyConfigured(
        f"{', '.join(_missing)} must be set for ppp.settings.production (see README.md, Production): the "
        "development defaults (localhost only, SQLite, a file-system broker) are never used in production."
    )

# HTTPS only. Behind a TLS-terminating proxy, it must send X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER, base.py).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
