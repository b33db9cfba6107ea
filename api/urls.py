"""The partner API under /api/v1/ (resources arrive with the partner-API issue)."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
