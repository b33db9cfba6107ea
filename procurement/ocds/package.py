"""Write a release package as a stream, validating each release as it goes.

Nothing holds the whole package: releases are built a chunk of agreements at a time, validated one by one
against the official release schema and written out. The envelope is validated once, with the first release.
Callers write to a temporary file and publish it only when ``write_package`` returns, so an invalid export
never leaves the building.
"""

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.utils import timezone

from .build import ocds_datetime
from .schema import OCDSValidationError, package_errors, release_errors

RELEASE_PACKAGE_VERSION = "1.1"


class NoReleases(Exception):
    """Nothing matched: the schema requires at least one release, so no package is written."""


def _default(value):
    if isinstance(value, Decimal):
        # JSON numbers; amounts carry two decimals, well within a double's exact range.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def dumps(value) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


def package_header(uri: str) -> dict:
    header = {
        "uri": uri,
        "version": RELEASE_PACKAGE_VERSION,
        "publishedDate": ocds_datetime(timezone.now()),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME, "uri": settings.OCDS_PUBLISHER_URI},
    }
    if settings.OCDS_LICENSE:
        header["license"] = settings.OCDS_LICENSE
    if settings.OCDS_PUBLICATION_POLICY:
        header["publicationPolicy"] = settings.OCDS_PUBLICATION_POLICY
    return header


def write_package(out: TextIO, releases: Iterable[dict], *, uri: str, max_errors: int = 100) -> int:
    """Write the package to ``out``; return how many releases it holds.

    Raises ``OCDSValidationError`` (with the JSON path of each error) when any release or the envelope is
    invalid, and ``NoReleases`` when there is nothing to publish; ``out`` then holds no valid package.
    """
    header = package_header(uri)
    errors = []
    out.write(dumps(header)[:-1] + ',"releases":[')
    count = 0
    for index, release in enumerate(releases):
        if index == 0:
            envelope = package_errors({**header, "releases": [release]})
            errors += [error for error in envelope if not error.path.startswith("$.releases")]
        errors += release_errors(release, index)
        if len(errors) >= max_errors:
            break
        out.write(("," if index else "") + dumps(release))
        count += 1
    out.write("]}")
    if errors:
        raise OCDSValidationError(errors[:max_errors])
    if not count:
        raise NoReleases("No releases match.")
    return count
