from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.evidence import EvidenceDownloadView

# Under /api/ these answer in the API's JSON error shape; elsewhere they are Django's pages.
handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("boards/", include("projects.urls")),
    # The language switcher (admin header, board pages) posts here: set_language keeps the choice in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    # Evidence is never served from MEDIA_URL: only through this view, which checks who asks.
    path("files/evidence/<path:name>", EvidenceDownloadView.as_view(), name="evidence_download"),
]
