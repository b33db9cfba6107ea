"""Where vendors' evidence files are stored and how their links are made.

Evidence is never served from MEDIA_URL: each file sits under an unguessable folder, and its URL is the
checked download view (``api.evidence``), which answers only to the people allowed to read it.
"""

import os
import uuid

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
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


evidence_storage = EvidenceStorage()
