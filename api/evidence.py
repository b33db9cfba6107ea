"""The only way to a deliverable's (or a KPI measurement's) evidence file: ``GET /files/evidence/<name>``.

It answers to officers, to the board members of the deliverable's project and to the users of its responsible
vendor (a browser session, or the partner API's ``Authorization: Token …``); anyone else gets 404, as if the file
did not exist. The file always comes as a download that the browser may not sniff or render inline.
"""

import mimetypes
import os

from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from projects.evidence import EVIDENCE_PREFIX
from projects.selectors import evidence_readable_by, kpi_evidence_readable_by

# Types a browser cannot run script in; anything else (HTML, SVG, XML, unknown) goes out as plain bytes.
SAFE_CONTENT_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}


def safe_content_type(filename: str) -> str:
    guessed, encoding = mimetypes.guess_type(filename)
    if guessed in SAFE_CONTENT_TYPES and encoding is None:
        return guessed
    return "application/octet-stream"


class EvidenceDownloadView(APIView):
    """Authentication as in the partner API (token or session); the check is who may read the deliverable."""

    permission_classes = [IsAuthenticated]
    schema = None  # not part of the partner API's documented endpoints

    def get(self, request, name):
        path = EVIDENCE_PREFIX + name
        # A deliverable's evidence, or a KPI measurement's (both stored the same way, behind this view).
        deliverable = evidence_readable_by(request.user).only("evidence_file").filter(evidence_file=path).first()
        if deliverable is None:
            readable = kpi_evidence_readable_by(request.user).only("evidence_file")
            deliverable = readable.filter(evidence_file=path).first()
        if deliverable is None:
            raise Http404("No such evidence file.")
        try:
            handle = deliverable.evidence_file.open("rb")
        except FileNotFoundError:
            raise Http404("The evidence file is missing from storage.") from None
        filename = os.path.basename(deliverable.evidence_file.name)
        response = FileResponse(handle, content_type=safe_content_type(filename))
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        response["X-Content-Type-Options"] = "nosniff"
        # Even if a browser were tricked into rendering it, the file may run nothing and load nothing.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
