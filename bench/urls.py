"""The product's URLs plus the baseline views the partner API is compared with (bench only)."""

from django.urls import path

from ppp.urls import handler404, handler500  # noqa: F401
from ppp.urls import urlpatterns as product_urlpatterns

from . import baseline

urlpatterns = [
    path("bench/baseline/milestones/", baseline.milestones, name="bench-baseline-milestones"),
    path("bench/baseline/deliverables/", baseline.deliverables, name="bench-baseline-deliverables"),
    *product_urlpatterns,
]
