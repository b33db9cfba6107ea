"""Where vendors' evidence files are stored and how their links are made.

Evidence is never served from MEDIA_URL: each file sits under an unguessable folder, and its URL is the
checked download view (``api.evidence``), which answers only to the people allowed to read it.
"""

import contextlib
import logging
import os
import uuid

from django.apps import apps
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import get_valid_filename

EVIDENCE_PREFIX = "evidence/"
# Room for the prefix, date and folder within the field's 255 characters.
MAX_ORIGINAL_NAME = 120


def evidence_upload_to(instance, filename: str) -> str:
    """``evidence/<yyyy>/<mm>/<random hex>/<original name, sanitised>``: the name stays readable for whoever
    downloads it, the random folder keeps anyone from guessing the path."""
    today = timezone.localdate()
    return f"{EVIDENCE_PREFIX}{today:%Y/%m}/{uuid.uuid4().hex}/{sanitised_name(filename)}"


def sanitised_name(filename: str) -> str:
    try:
        name = get_valid_filename(os.path.basename(filename.replace("\\", "/")))
    except SuspiciousFileOperation:  # nothing usable left, e.g. ".." or only punctuation
        name = "evidence"
    stem, extension = os.path.splitext(name)
    return stem[: MAX_ORIGINAL_NAME - len(extension)] + extension


@deconstructible
class EvidenceStorage(FileSystemStorage):
    """Files under MEDIA_ROOT as before, but their URL is the authorised download view."""

    def url(self, name):
        if not name:
            raise ValueError("This file has no name.")
        relative = name.removeprefix(EVIDENCE_PREFIX)
        return reverse("evidence_download", kwargs={"name": relative})

    def delete(self, name):
        super().delete(name)
        # The file's random folder held only it; leave no empty folder behind (the year/month ones stay).
        with contextlib.suppress(OSError):  # not empty, or already gone
            os.rmdir(os.path.dirname(self.path(name)))


evidence_storage = EvidenceStorage()

logger = logging.getLogger(__name__)


def remove_evidence_after_commit(name: str) -> None:
    """Remove the evidence file ``name`` from storage once the current transaction commits.

    For a file that was replaced or whose deliverable was deleted. Never before the commit: if the
    transaction rolls back, the deliverable still points at the file, and the file must still be there.
    History rows keep the old name; the download view answers 404 for it.
    """
    if name:
        transaction.on_commit(lambda: _remove_unreferenced(name))


def _remove_unreferenced(name: str) -> None:
    # Looked up by name: models.py imports this module for the field's storage, so it cannot import models back.
    Deliverable = apps.get_model("projects", "Deliverable")  # noqa: N806
    if Deliverable.objects.filter(evidence_file=name).exists():
        return  # another deliverable points at the same file (copied by hand): keep it
    try:
        evidence_storage.delete(name)
    except OSError:
        # The change is committed either way; a file left behind is logged, not a failed request.
        logger.exception("Could not remove the evidence file %s from storage", name)


def remove_evidence_of_deleted_deliverable(sender, instance, **kwargs) -> None:
    """post_delete receiver: however a deliverable is deleted (admin, shell, cascade), its file goes too."""
    remove_evidence_after_commit(instance.evidence_file.name)
