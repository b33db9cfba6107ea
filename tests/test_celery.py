"""The worker's database connections: kept from task to task, closed when broken or too old (ppp/celery.py)."""

import time
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun
from django.db import connection

from ppp.celery import app

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as in a worker


class Task:
    request = SimpleNamespace(is_eager=False)


def run_tasks(count: int) -> None:
    """What ``celery worker`` does around each task, with its Django fix-up installed."""
    fixup = DjangoWorkerFixup(app)
    task = Task()
    for _ in range(count):
        fixup.on_task_prerun(sender=task)
        fixup.on_task_postrun(sender=task)
        task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")


def test_a_worker_keeps_its_database_connection_from_task_to_task():
    """Celery's default closed it around every task: a new PostgreSQL connection for each webhook sent."""
    connection.ensure_connection()
    opened = connection.connection

    run_tasks(10)

    assert connection.connection is opened


def test_a_connection_older_than_conn_max_age_is_closed_after_a_task():
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1  # CONN_MAX_AGE has passed

    run_tasks(1)

    assert connection.connection is None
