"""Officer-only open-data endpoint: the OCDS-for-PPPs release package, validated before it is sent."""

import datetime
import logging
import tempfile

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.models import Agreement
from procurement.ocds.build import iter_releases
from procurement.ocds.package import NoReleases, write_package
from procurement.ocds.schema import OCDSValidationError, SchemaUnavailable

from .errors import _body as error_body

logger = logging.getLogger(__name__)
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


class IsOfficer(BasePermission):
    message = "Only procurement officers may export open data."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("procurement.change_agreement"))


class OCDSReleasePackageView(APIView):
    """GET /api/v1/ocds/releases/?since=YYYY-MM-DD&agreement=REF — a release package (JSON).

    The package is built into a spooled temporary file (memory up to 8 MB, then disk) and validated
    release by release; only a valid package is sent. 204 when nothing matches.
    """

    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(
        summary="OCDS-for-PPPs release package (officers only)",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, description="Only releases dated on or after this day."),
            OpenApiParameter("agreement", OpenApiTypes.STR, description="Only the agreement with this reference."),
        ],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="A release package, valid against the official schema."
            ),
            204: OpenApiResponse(description="No release matches."),
        },
    )
    def get(self, request):
        agreements = Agreement.objects.all()
        since = request.query_params.get("since")
        if since:
            try:
                since = datetime.date.fromisoformat(since)
            except ValueError as exc:
                raise ValidationError({"since": ["Enter a date as YYYY-MM-DD."]}) from exc
        if reference := request.query_params.get("agreement"):
            agreements = agreements.filter(reference=reference)
        # Closed by the error paths below, or by the streaming generator once the body is sent.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, mode="w+", encoding="utf-8")  # noqa: SIM115
        try:
            write_package(spool, iter_releases(agreements, since=since or None), uri=request.build_absolute_uri())
        except NoReleases:
            spool.close()
            return HttpResponse(status=204)
        except OCDSValidationError as exc:
            spool.close()
            logger.error("OCDS export refused: %s", exc)
            body = error_body(500, "invalid_export", "The export is not valid OCDS; nothing was sent.")
            return Response({**body, "errors": [str(error) for error in exc.errors]}, status=500)
        except SchemaUnavailable as exc:
            spool.close()
            return Response(error_body(503, "schema_unavailable", str(exc)), status=503)
        spool.seek(0)

        def chunks():
            with spool:
                while block := spool.read(1 << 16):
                    yield block

        response = StreamingHttpResponse(chunks(), content_type="application/json")
        response["Content-Disposition"] = 'inline; filename="ocds-release-package.json"'
        return response
