"""Open data over HTTP: the public feed of published releases and the officers' export.

The releases themselves are recorded and stored by ``opendata`` (never changed once published); these
views validate the request, call one selector or service and send the stored text.
"""

import hashlib
import logging
import tempfile
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from opendata import selectors
from opendata.builders import published_agreements
from opendata.package import NoReleases, records, release_package_bytes, write_record_package, write_release_package
from opendata.schema import OCDSValidationError, SchemaUnavailable
from opendata.services import releases_record

from .errors import _body as error_body

logger = logging.getLogger(__name__)
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


class IsOfficer(BasePermission):
    message = "Only procurement officers may export open data."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("procurement.change_agreement"))


class ExportQuery(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="Only releases dated on or after this day.")
    agreement = serializers.CharField(required=False, max_length=64, help_text="Only this agreement's releases.")
    package = serializers.ChoiceField(
        choices=["release", "record"], default="release", help_text="A release package, or a record package."
    )


class FeedQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1, help_text="Page number, from 1.")
    since = serializers.DateField(required=False, help_text="Only releases dated on or after this day.")


def _query(serializer_class, request) -> dict:
    # DRF skips a blank optional query parameter; "?since=" is a mistake to report, not "no filter".
    blank = {name: ["This parameter may not be blank."] for name, value in request.query_params.items() if not value}
    if blank:
        raise ValidationError(blank)
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class OCDSReleasePackageView(APIView):
    """GET /api/v1/ocds/releases/?since=YYYY-MM-DD&agreement=REF&package=release|record — officers only.

    Records a release for every agreement that changed since its last one, then sends the stored releases
    (or, with ``package=record``, each ocid's releases and its compiled release), spooled to a temporary
    file (memory up to 8 MB, then disk). 204 when nothing matches.
    """

    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(
        summary="OCDS-for-PPPs release or record package (officers only)",
        parameters=[ExportQuery],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="A package, valid against the official schema."),
            204: OpenApiResponse(description="No release matches."),
        },
    )
    def get(self, request):
        query = _query(ExportQuery, request)
        reference = query.get("agreement")
        agreements = published_agreements()
        if reference:
            agreements = agreements.filter(reference=reference)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, mode="w+", encoding="utf-8")  # noqa: SIM115
        try:
            releases_record(agreements=agreements, by=request.user)
            selected = selectors.releases(agreement_reference=reference, since=query.get("since"))
            newest = selectors.newest_date(selected)
            uri = request.build_absolute_uri()
            if query["package"] == "record":
                write_record_package(spool, records(selectors.bodies_by_ocid(selected)), uri=uri, published_date=newest)
            else:
                write_release_package(spool, selectors.bodies(selected), uri=uri, published_date=newest)
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
        response["Content-Disposition"] = f'inline; filename="ocds-{query["package"]}-package.json"'
        return response


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


class OCDSFeedView(APIView):
    """GET /api/v1/ocds/feed/?page=N&since=YYYY-MM-DD — public, no authentication.

    The published releases (never a draft agreement's), oldest first, as release packages of
    ``OCDS_FEED_PAGE_SIZE`` releases. A release never changes once published and new ones come last, so a
    full page never changes either: send its ETag back in If-None-Match and the answer is 304.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Public feed of published OCDS-for-PPPs releases (release packages by date, paged)",
        auth=[],
        parameters=[
            FeedQuery,
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of a page you hold: 304 when it has not changed.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A release package (OCDS for PPPs). ETag identifies it; Link gives the next and "
                "previous pages.",
            ),
            204: OpenApiResponse(description="Nothing is published yet (or since that day)."),
            304: OpenApiResponse(description="The page is unchanged since the ETag given in If-None-Match."),
            400: OpenApiResponse(description="An invalid page or since."),
            404: OpenApiResponse(description="No such page: past the last one."),
        },
    )
    def get(self, request):
        query = _query(FeedQuery, request)
        page, since = query["page"], query.get("since")
        rows, has_next = selectors.feed_page(page=page, page_size=settings.OCDS_FEED_PAGE_SIZE, since=since)
        if not rows:
            if page > 1:
                raise NotFound("No such page: past the last page of the feed.")
            return HttpResponse(status=204)
        params = {"since": since.isoformat()} if since else {}
        uri = _page_url(request, page, params)  # one URI per page, however the query was written
        body = release_package_bytes([row[2] for row in rows], uri=uri, published_date=rows[-1][1])
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
        links = []
        if has_next:
            links.append(f'<{_page_url(request, page + 1, params)}>; rel="next"')
        if page > 1:
            links.append(f'<{_page_url(request, page - 1, params)}>; rel="prev"')
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if links:
            headers["Link"] = ", ".join(links)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="application/json")
        for name, value in headers.items():
            response[name] = value
        return response


def _page_url(request, page: int, params: dict) -> str:
    return request.build_absolute_uri(f"{request.path}?{urlencode({**params, 'page': page})}")
