"""The partner API under /api/v1/ (resources arrive with the partner-API issue)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from .ocds import OCDSReleasePackageView

router = DefaultRouter()

urlpatterns = [
    path("ocds/releases/", OCDSReleasePackageView.as_view(), name="ocds-releases"),
    *router.urls,
]
