"""Checks on what vendors upload as evidence: a size limit and an allow-list of file types."""

import os

from django.conf import settings

from ppp.errors import RuleViolation

# Extension -> signatures the file must start with (None: plain text, checked for binary content).
# The extension alone is the client's claim; the first bytes tell what the file really is.
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".csv": None,
    ".txt": None,
}


class EvidenceTooLarge(RuleViolation):
    """The upload is over PPP_EVIDENCE_MAX_BYTES."""


class EvidenceTypeRefused(RuleViolation):
    """The upload is empty, of a type not on the allow-list, or not what its extension claims."""


def allowed_evidence_extensions() -> str:
    return ", ".join(sorted(EVIDENCE_TYPES))


def validate_evidence_file(upload) -> None:
    """Raise EvidenceTooLarge or EvidenceTypeRefused (field "evidence_file") unless ``upload`` is an allowed
    type within the size limit."""
    limit = settings.PPP_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise EvidenceTooLarge(
            f"The file is {upload.size:,} bytes; evidence files may be at most {limit:,} bytes.", field="evidence_file"
        )
    if not upload.size:
        raise EvidenceTypeRefused("The file is empty.", field="evidence_file")
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in EVIDENCE_TYPES:
        raise EvidenceTypeRefused(
            f"Files of type '{extension or 'without extension'}' are not accepted as evidence; "
            f"use one of {allowed_evidence_extensions()}.",
            field="evidence_file",
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = EVIDENCE_TYPES[extension]
    # Plain text has no signature; a NUL byte is the cheap tell of a binary file renamed .txt/.csv.
    looks_right = b"\x00" not in head if signatures is None else head.startswith(signatures)
    if not looks_right:
        raise EvidenceTypeRefused(f"The file's content is not a {extension} file.", field="evidence_file")
