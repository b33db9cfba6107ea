"""Settings for the test suite: the base settings with fast, isolated and side-effect-free parts."""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite runs with DEBUG off but does not collect static files first: plain storage, and WhiteNoise finds
# files in the apps (tests/test_static_files.py proves the production storage with a real collectstatic).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = tempfile.mkdtemp(prefix="ppp-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="ppp-test-static-")
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# The official OCDS-for-PPPs schema copies beside the repository (shared/ocds/ppp): no network in tests.
_shared_ocds = BASE_DIR.parent / "shared" / "ocds" / "ppp"  # noqa: F405
OCDS_SCHEMA_DIR = str(_shared_ocds) if _shared_ocds.is_dir() else None
OCDS_CORE_SCHEMA_DIR = str(_shared_ocds.parent / "1.1.5") if _shared_ocds.is_dir() else None
OCDS_SCHEMA_CACHE_DIR = tempfile.mkdtemp(prefix="ppp-test-ocds-")
