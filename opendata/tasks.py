"""Background work for open data: recording the releases of changed agreements."""

from celery import shared_task

from .services import releases_record


@shared_task(acks_late=True)
def record_releases() -> dict:
    """Beat runs this every OCDS_RECORD_EVERY_MINUTES. Safe to run twice: an unchanged agreement records nothing,
    and a unique (agreement, sequence) turns a concurrent duplicate into a no-op."""
    result = releases_record(by=None)
    return {"checked": result.checked, "recorded": result.recorded}
