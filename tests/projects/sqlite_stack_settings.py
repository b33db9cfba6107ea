"""Settings for the processes ``test_sqlite_worker.py`` starts: ``make run``'s (local settings, DEBUG, SQLite
from DATABASE_URL, the file-system broker), with the broker and the outgoing mail inside the test's own
folder ``PPP_STACK_DIR``, so the test never meets a ``make run`` in the same checkout."""

import os
from pathlib import Path

from ppp.settings.local import *  # noqa: F403

STACK_DIR = Path(os.environ["PPP_STACK_DIR"])

CELERY_BROKER_URL = "filesystem://"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(STACK_DIR / "broker" / "queue"),
    "data_folder_out": str(STACK_DIR / "broker" / "queue"),
    "processed_folder": str(STACK_DIR / "broker" / "processed"),
    "control_folder": str(STACK_DIR / "broker" / "control"),
    "store_processed": False,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(STACK_DIR / "celerybeat-schedule")
MEDIA_ROOT = STACK_DIR / "media"

# Every email the worker sends lands as a file here, for the test to count.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = STACK_DIR / "mail"

# The seed creates a few dozen users: a fast hasher keeps the test's set-up short (nothing here logs in).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
