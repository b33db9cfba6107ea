"""Export published agreements as an OCDS-for-PPPs release package (or record package), as a stream."""

import contextlib
import datetime
import gc
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opendata import selectors
from opendata.builders import published_agreements
from opendata.package import NoReleases, records, write_record_package, write_release_package
from opendata.schema import OCDSValidationError, SchemaUnavailable
from opendata.services import releases_record


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not {value!r}.") from exc


@contextlib.contextmanager
def _collector_for_a_batch_job():
    """Tune Python's cyclic garbage collector for this one long job (a command's process does nothing else).

    Building releases allocates millions of short-lived dicts and strings, and by default every 700 of them a
    collection runs, which now and then walks every object alive since start-up (Django, the schemas). Those
    are frozen out of the walks, and young objects are collected every 50,000 allocations instead: 15-20 % of
    the CPU time of an export. Memory stays bounded because releases make next to no reference cycles (213
    objects were left for the collector after 2,000 agreements); reference counting frees the rest at once.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


class Command(BaseCommand):
    help = (
        "Write published agreements as an OCDS-for-PPPs release package (or, with --records, a record package). "
        "Releases of agreements that changed are recorded first; recorded releases never change. "
        "The file is written only when complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agreement", metavar="REF", help="Only the agreement with this reference.")
        parser.add_argument("--since", metavar="YYYY-MM-DD", type=str, help="Only releases dated on or after.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write here instead of standard output.")
        parser.add_argument(
            "--records", action="store_true", help="A record package: each ocid's releases and compiled release."
        )
        parser.add_argument(
            "--no-record", action="store_true", help="Export what is recorded; do not record changes first."
        )
        parser.add_argument("--chunk-size", type=int, default=200, help="Agreements read per batch (default 200).")

    def handle(self, *args, **options):
        with _collector_for_a_batch_job():
            self._export(**options)

    def _export(self, *, agreement=None, since=None, output=None, chunk_size=200, **options):
        since_date = _date(since) if since else None
        agreements = published_agreements()
        if agreement:
            from procurement.models import Agreement

            if not Agreement.objects.filter(reference=agreement).exists():
                raise CommandError(f"No agreement with reference {agreement!r}.")
            agreements = agreements.filter(reference=agreement)
        progress = self.stderr if options.get("verbosity", 1) > 0 else None

        def on_chunk(done, total):
            if progress:
                progress.write(f"  checked {done}/{total} agreements ({done * 100 // max(total, 1)} %)")

        try:
            if not options["no_record"]:
                result = releases_record(agreements=agreements, by=None, chunk_size=chunk_size, on_chunk=on_chunk)
                if progress:
                    progress.write(f"Recorded {result.recorded} new release(s).")
            selected = selectors.releases(agreement_reference=agreement, since=since_date)
            newest = selectors.newest_date(selected)
            base = f"{settings.SITE_URL.rstrip('/')}/api/v1/ocds/"
            # Write to a temporary file beside the target and publish it only once it is complete.
            directory = Path(output).resolve().parent if output else None
            handle, temp_path = tempfile.mkstemp(prefix=".ocds-", suffix=".json", dir=directory)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as temp:
                    if options["records"]:
                        count = write_record_package(
                            temp,
                            records(selectors.bodies_by_ocid(selected)),
                            uri=base + "records/",
                            published_date=newest,
                        )
                    else:
                        count = write_release_package(
                            temp, selectors.bodies(selected), uri=base + "releases/", published_date=newest
                        )
                if output:
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(temp_path, 0o666 & ~umask)  # mkstemp's 0600 would hide a file meant for publishing
                    os.replace(temp_path, output)
                else:
                    with open(temp_path, encoding="utf-8") as temp:
                        while block := temp.read(1 << 16):
                            self.stdout.write(block, ending="")
            finally:
                if os.path.exists(temp_path):
                    os.unlink(temp_path)
        except OCDSValidationError as exc:
            raise CommandError(f"The export is not valid OCDS; nothing was written.\n{exc}") from exc
        except NoReleases:
            self.stderr.write("No releases match; nothing was written.")
            return
        except SchemaUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if progress:
            what = "record(s)" if options["records"] else "release(s)"
            progress.write(f"Exported {count} {what}{f' to {output}' if output else ''}; valid OCDS for PPPs.")
