"""Local development: ``manage.py``, ``make run`` and the Celery worker use these unless told otherwise.

Nothing to install or set: DEBUG on, a development secret, SQLite and the file-system Celery broker under the
git-ignored ``var/`` folder (base.py's defaults), emails printed on the console. DATABASE_URL, CELERY_BROKER_URL
and every other variable in README.md still override. Production is ``ppp.settings.production``, never this.
"""

from .base import *  # noqa: F403
from .base import env

# DJANGO_DEBUG=0 tries production-like pages (404s, no tracebacks) on a development machine.
DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Known to everyone, hence usable only here: production.py has no default and refuses to start without one.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-dev-only-key-do-not-use-in-production")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Plain storage, files found in the apps: no `collectstatic` in development, even with DJANGO_DEBUG=0.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
