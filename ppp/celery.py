"""The Celery application: worker and beat both start from here (``celery -A ppp ...``)."""

import os

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.local")

app = Celery("ppp")
# Every CELERY_* Django setting configures Celery (CELERY_BROKER_URL -> broker_url, ...).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def close_old_database_connections(sender=None, **kwargs):
    """After each task, what Django does after each request: close a connection that is broken or older than
    CONN_MAX_AGE. Celery's own handler closes every connection after every task unless CELERY_DB_REUSE_MAX is
    set (settings/base.py sets it), and then closes them only every so many tasks, broken or not."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return  # an eager task runs inside the caller's request or test, whose connection is not ours to close
    from django.db import close_old_connections

    close_old_connections()
