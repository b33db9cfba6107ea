"""Release and record packages, written as streams.

Releases are stored already serialised and validated (``opendata.services``), so a package is its header
followed by the stored release texts, copied as they are: nothing holds the whole package, and the same
release id always gives the same bytes. The header is validated with the first release.
"""

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TextIO

import ocdsmerge
import orjson
from django.conf import settings

from .builders import ocds_datetime
from .schema import OCDSValidationError, package_errors, record_package_errors, release_schema

PACKAGE_VERSION = "1.1"
# The OCDS for PPPs profile's extensions whose fields the releases use (declared so that tools apply them).
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/public-private-partnerships/1.0.0-beta4/schema/"
    "profile/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_riskAllocation_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_finance_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_charges_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_performance_failures/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_project_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_milestone_documents_extension/master/"
    "extension.json",
]


class NoReleases(Exception):
    """Nothing matched: the schema requires at least one release, so no package is written."""


def json_default(value):
    if isinstance(value, Decimal):
        # JSON numbers; amounts carry two decimals, well within a double's exact range.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def dumps(value) -> str:
    """Compact JSON, UTF-8 characters as they are (no \\u escapes), amounts as numbers. Written by orjson, several
    times faster than ``json.dumps`` for a release with its milestones; the same JSON values."""
    return orjson.dumps(value, default=json_default).decode()


def package_header(uri: str, published_date) -> dict:
    """``published_date``: for a package made on demand, the date of its newest release (OCDS: "the date of
    the last change to the underlying contents"), so the same releases always make the same package."""
    header = {
        "uri": uri,
        "version": PACKAGE_VERSION,
        "extensions": EXTENSIONS,
        "publishedDate": ocds_datetime(published_date),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME, "uri": settings.OCDS_PUBLISHER_URI},
    }
    if settings.OCDS_LICENSE:
        header["license"] = settings.OCDS_LICENSE
    if settings.OCDS_PUBLICATION_POLICY:
        header["publicationPolicy"] = settings.OCDS_PUBLICATION_POLICY
    return header


def write_release_package(out: TextIO, bodies: Iterable[str], *, uri: str, published_date) -> int:
    """Write a release package of stored release texts to ``out``; return how many releases it holds.

    Raises ``NoReleases`` when there is nothing to publish (``out`` then holds no valid package) and
    ``OCDSValidationError`` when the header is invalid (a misconfigured publisher URI, say).
    """
    header = package_header(uri, published_date)
    count = 0
    for body in bodies:
        if count == 0:
            errors = [
                e for e in package_errors({**header, "releases": [json.loads(body)]}) if not e.path.startswith("$.rel")
            ]
            if errors:
                raise OCDSValidationError(errors)
            out.write(dumps(header)[:-1] + ',"releases":[')
        else:
            out.write(",")
        out.write(body)
        count += 1
    if not count:
        raise NoReleases("No releases match.")
    out.write("]}")
    return count


def release_package_bytes(bodies: list[str], *, uri: str, published_date) -> bytes:
    """A small package in memory (a page of the public feed)."""
    header = package_header(uri, published_date)
    return (dumps(header)[:-1] + ',"releases":[' + ",".join(bodies) + "]}").encode()


def _merger() -> ocdsmerge.Merger:
    # The profile's release schema gives the merge rules (which arrays merge by id, which replace): offline.
    return ocdsmerge.Merger(schema=release_schema())


def records(bodies_by_ocid: Iterable[tuple[str, list[str]]]) -> Iterator[dict]:
    """One OCDS record per ocid: its releases, oldest first, and the compiled release ocdsmerge makes of them."""
    merger = _merger()
    for ocid, bodies in bodies_by_ocid:
        releases = [json.loads(body) for body in bodies]
        yield {"ocid": ocid, "releases": releases, "compiledRelease": merger.create_compiled_release(releases)}


def write_record_package(out: TextIO, records_: Iterable[dict], *, uri: str, published_date) -> int:
    header = package_header(uri, published_date)
    count = 0
    out.write(dumps(header)[:-1] + ',"records":[')
    for record in records_:
        if count == 0:
            errors = [e for e in record_package_errors({**header, "records": [record]}) if "records" not in e.path]
            if errors:
                raise OCDSValidationError(errors)
        out.write(("," if count else "") + dumps(record))
        count += 1
    out.write("]}")
    if not count:
        raise NoReleases("No releases match.")
    return count
