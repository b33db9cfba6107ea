"""lib-cove-ocds (the OCDS community's validator, behind the Data Review Tool) run offline.

lib-cove-ocds builds the extended schema by downloading OCDS core and each declared extension. Tests have no
network, so the schema object below reads the shared copies instead: a package that declares extensions is
read against ``../shared/ocds/ppp``, the OCDS for PPPs profile with its extensions already applied (release
schema, release package schema, codelists); one that declares none against OCDS core,
``../shared/ocds/1.1.5``, which also gives core's record package schema. Everything else (structural and format
validation, additional fields, codelist checks, additional checks) is lib-cove-ocds's own code.
"""

import csv
import functools
import json
from pathlib import Path

from django.conf import settings
from libcoveocds.common_checks import common_checks_ocds
from libcoveocds.config import LibCoveOCDSConfig
from libcoveocds.lib.api import context_api_transform
from libcoveocds.schema import SchemaOCDS
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

PROFILE_RELEASE_SCHEMA = "https://standard.open-contracting.org/profiles/ppp/schema/1__0__0__beta4/release-schema.json"


def _profile_dir() -> Path:
    return Path(settings.OCDS_SCHEMA_DIR)


def _core_dir() -> Path:
    return Path(settings.OCDS_CORE_SCHEMA_DIR)


class _OfflineBuilder:
    """Stands in for ocdsextensionregistry's ProfileBuilder: the profile schema is already patched."""

    def __init__(self, directory: Path):
        self.directory = directory

    def patched_release_schema(self, schema):
        return schema

    def get_standard_file_contents(self, name):
        if name == "versioned-release-validation-schema.json":
            return "{}"  # only versioned releases need it; the export has none
        if name == "record-package-schema.json":
            schema = json.loads((_core_dir() / name).read_text())
            # Its versionedRelease refers to a schema we have no copy of; the export publishes no versioned releases.
            schema["definitions"]["record"]["properties"]["versionedRelease"] = {"type": "object"}
            return json.dumps(schema)
        return (self.directory / name).read_text()


class OfflineSchemaOCDS(SchemaOCDS):
    def __init__(self, package: dict, *, record_pkg: bool):
        config = LibCoveOCDSConfig()
        config.config["context"] = "api"
        super().__init__(None, package, config, record_pkg=record_pkg)
        self.directory = _profile_dir() if package.get("extensions") else _core_dir()
        self.builder = _OfflineBuilder(self.directory)
        self.builder_extensions = []  # their fields and codes are in the profile's schema and codelists

    def _standard_codelists(self):
        codelists = {}
        for path in sorted((self.directory / "codelists").glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as file:
                codelists[path.name] = {row["Code"] for row in csv.DictReader(file)}
        return codelists

    @functools.cached_property
    def registry(self):
        release_schema = self.get_schema_obj()
        self._add_is_codelist(release_schema)
        resource = Resource.from_contents(release_schema, default_specification=DRAFT4)
        urls = [
            PROFILE_RELEASE_SCHEMA,
            "https://standard.open-contracting.org/schema/1__1__5/release-schema.json",
            "http://standard.open-contracting.org/schema/1__1__5/release-schema.json",
        ]
        return Registry().with_resources([(url, resource) for url in urls])


def review(package: dict) -> dict:
    """lib-cove-ocds's report on ``package`` (API shape: validation_errors, additional_fields, ...)."""
    package = json.loads(json.dumps(package))
    record_pkg = "records" in package
    schema = OfflineSchemaOCDS(package, record_pkg=record_pkg)
    context = common_checks_ocds({"file_type": "json"}, "", package, schema, cache=False)
    return context_api_transform(context)


def problems(package: dict) -> dict:
    """Only what a publisher must fix: errors, undeclared fields, codes outside the codelists."""
    report = review(package)
    return {
        key: report.get(key)
        for key in (
            "validation_errors",
            "additional_fields",
            "additional_closed_codelist_values",
            "additional_open_codelist_values",
            "json_deref_error",
        )
        if report.get(key)
    }
