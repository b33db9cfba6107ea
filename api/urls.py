"""The partner API under /api/v1/ (see api/views.py; OpenAPI at schema/, interactive docs at docs/)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import amendments_and_risks, gate_decisions, notifications, payments, performance, views, webhooks
from .ocds import OCDSFeedView, OCDSReleasePackageView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("gate-decisions", gate_decisions.GateDecisionViewSet, basename="gate-decision")
router.register("deliverables", views.DeliverableViewSet, basename="deliverable")
router.register("payment-certificates", payments.PaymentCertificateViewSet, basename="payment-certificate")
router.register("invoices", payments.InvoiceViewSet, basename="invoice")
router.register("amendments", amendments_and_risks.AmendmentViewSet, basename="amendment")
router.register("risks", amendments_and_risks.RiskViewSet, basename="risk")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")
router.register("webhook-deliveries", webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("payments", payments.PaymentViewSet, basename="payment")
router.register("performance-failures", performance.PerformanceFailureViewSet, basename="performance-failure")
router.register("kpis", performance.KPIViewSet, basename="kpi")
router.register("kpi-measurements", performance.KPIMeasurementViewSet, basename="kpi-measurement")

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="api-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="api-logout-all"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("ocds/releases/", OCDSReleasePackageView.as_view(), name="ocds-releases"),
    path("ocds/feed/", OCDSFeedView.as_view(), name="ocds-feed"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
]
