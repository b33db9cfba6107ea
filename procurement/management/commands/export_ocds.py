"""Export agreements as a validated OCDS-for-PPPs release package (JSON)."""

import datetime
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from procurement.models import Agreement
from procurement.ocds.build import iter_releases
from procurement.ocds.package import NoReleases, write_package
from procurement.ocds.schema import OCDSValidationError, SchemaUnavailable


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Write agreements as an OCDS-for-PPPs release package, validated against the official schema. "
        "The file is written only when every release is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agreement", metavar="REF", help="Only the agreement with this reference.")
        parser.add_argument("--since", metavar="YYYY-MM-DD", type=str, help="Only releases dated on or after.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write here instead of standard output.")
        parser.add_argument("--chunk-size", type=int, default=200, help="Agreements read per batch (default 200).")

    def handle(self, *args, agreement=None, since=None, output=None, chunk_size=200, **options):
        since_date = _date(since) if since else None
        agreements = Agreement.objects.all()
        if agreement:
            agreements = agreements.filter(reference=agreement)
            if not agreements.exists():
                raise CommandError(f"No agreement with reference {agreement!r}.")
        progress = self.stderr if options.get("verbosity", 1) > 0 else None

        def on_chunk(done, total):
            if progress:
                progress.write(f"  {done}/{total} agreements ({done * 100 // max(total, 1)} %)")

        uri = f"{settings.SITE_URL.rstrip('/')}/api/v1/ocds/releases/"
        # Write to a temporary file beside the target and publish it only once it is valid and complete.
        directory = Path(output).resolve().parent if output else None
        handle, temp_path = tempfile.mkstemp(prefix=".ocds-", suffix=".json", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                count = write_package(
                    temp, iter_releases(agreements, since=since_date, chunk_size=chunk_size, on_chunk=on_chunk), uri=uri
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
        except OCDSValidationError as exc:
            raise CommandError(f"The export is not valid OCDS; nothing was written.\n{exc}") from exc
        except NoReleases:
            self.stderr.write("No releases match; nothing was written.")
            return
        except SchemaUnavailable as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if os.path.exists(temp_path):
                os.unlink(temp_path)
        if progress:
            progress.write(f"Exported {count} release(s){f' to {output}' if output else ''}; valid OCDS for PPPs.")
