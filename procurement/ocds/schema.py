"""The official OCDS-for-PPPs release-package schema and a validator for it.

The schema files are published data, not part of this repository. They are read from
``settings.OCDS_SCHEMA_DIR`` when it is set; otherwise they are fetched once from their official
URLs (each schema's ``id``) and cached in ``settings.OCDS_SCHEMA_CACHE_DIR``.
"""

import json
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_BASE = "https://standard.open-contracting.org/profiles/ppp/schema/1__0__0__beta4/"
PACKAGE_SCHEMA_URL = SCHEMA_BASE + "release-package-schema.json"
RELEASE_SCHEMA_URL = SCHEMA_BASE + "release-schema.json"
FETCH_TIMEOUT_SECONDS = 30


class SchemaUnavailable(Exception):
    """The schema could not be read from the configured directory nor fetched."""


@dataclass(frozen=True)
class SchemaError:
    path: str  # JSON path of the offending value, e.g. "$.releases[0].contracts[0].value.currency"
    message: str

    def __str__(self):
        return f"{self.path}: {self.message}"


class OCDSValidationError(Exception):
    def __init__(self, errors: list[SchemaError]):
        self.errors = errors
        super().__init__(f"{len(errors)} schema error(s):\n" + "\n".join(f"  {error}" for error in errors))


def _read(url: str) -> dict:
    name = url.rsplit("/", 1)[1]
    if settings.OCDS_SCHEMA_DIR:
        path = Path(settings.OCDS_SCHEMA_DIR) / name
        try:
            return json.loads(path.read_text())
        except OSError as exc:
            raise SchemaUnavailable(f"OCDS_SCHEMA_DIR has no readable {name}: {exc}") from exc
    cached = Path(settings.OCDS_SCHEMA_CACHE_DIR) / name
    if cached.exists():
        return json.loads(cached.read_text())
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - fixed https URL
            body = response.read()
        schema = json.loads(body)
    except (OSError, ValueError) as exc:
        raise SchemaUnavailable(
            f"Could not fetch {url} ({exc}). Set OCDS_SCHEMA_DIR to a folder holding the official schema files."
        ) from exc
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a crash never leaves half a schema in the cache.
    partial = cached.with_suffix(".part")
    partial.write_bytes(body)
    partial.replace(cached)
    return schema


@cache
def _validators() -> tuple[Draft4Validator, Draft4Validator]:
    package_schema, release_schema = _read(PACKAGE_SCHEMA_URL), _read(RELEASE_SCHEMA_URL)
    registry = Registry().with_resource(
        RELEASE_SCHEMA_URL, Resource.from_contents(release_schema, default_specification=DRAFT4)
    )
    return (
        Draft4Validator(package_schema, registry=registry),
        Draft4Validator(release_schema, registry=registry),
    )


def clear_cache():
    _validators.cache_clear()


def _errors(validator: Draft4Validator, instance, prefix: str) -> list[SchemaError]:
    found = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    return [SchemaError(prefix + error.json_path[1:], error.message) for error in found]


def release_errors(release: dict, index: int = 0) -> list[SchemaError]:
    """Schema errors of one release, with paths as they stand in the package (``$.releases[index]…``)."""
    return _errors(_validators()[1], release, f"$.releases[{index}]")


def package_errors(package: dict) -> list[SchemaError]:
    """Schema errors of a whole package held in memory (small packages and tests)."""
    return _errors(_validators()[0], package, "$")


def validate_package(package: dict) -> None:
    errors = package_errors(package)
    if errors:
        raise OCDSValidationError(errors)
