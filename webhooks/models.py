"""Vendors' webhook endpoints and the outbox of deliveries to them (one row per event per endpoint)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from procurement.models import Vendor

# What a vendor may subscribe to. ``ping`` is sent only on request (POST .../ping/), to one endpoint.
EVENTS = {
    "deliverable.accepted": _("A deliverable of yours was accepted"),
    "deliverable.rejected": _("A deliverable of yours was rejected (the comment says why)"),
    "certificate.approved": _("A payment certificate you take part in was approved"),
    "payment.made": _("A payment certificate you take part in was paid"),
    "alert.raised": _("An alert was raised about a milestone you are responsible for"),
    "amendment.approved": _("An amendment of an agreement you are a party to was approved"),
}
PING = "ping"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class WebhookEndpointQuerySet(models.QuerySet):
    def for_vendor(self, vendor):
        return self.filter(vendor=vendor)


class WebhookEndpoint(models.Model):
    """An HTTPS address of a vendor's system that receives its events, signed with the endpoint's secret."""

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500, help_text=_("HTTPS only; it must resolve to a public address."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_("The event names sent here; empty for every event.")
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive endpoints receive nothing."))
    # Kept in clear: it signs every delivery (HMAC needs the key itself). Shown once, never in history or lists.
    secret = models.CharField(_("secret"), max_length=100, default=new_secret)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["vendor", "id"]
        constraints = [models.CheckConstraint(condition=Q(url__startswith="https://"), name="webhook_url_https")]

    def __str__(self):
        return f"{self.url} ({self.vendor})"

    def wants(self, event_name: str) -> bool:
        return self.is_active and (event_name == PING or not self.events or event_name in self.events)


class WebhookDeliveryQuerySet(models.QuerySet):
    def for_vendor(self, vendor):
        return self.filter(endpoint__vendor=vendor)


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, then its delivery log (attempts, last answer)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("webhook endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"), help_text=_("The same on every attempt: deduplicate on it."))
    event = models.CharField(_("event"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next attempt is due (pending); while an attempt runs, when it counts as abandoned (a lease).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last duration (ms)"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    redelivery_requested_at = models.DateTimeField(_("redelivery requested at"), null=True, blank=True)
    redelivery_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("redelivery requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = WebhookDeliveryQuerySet.as_manager()

    # What the delivery log shows, in the partner API and the admin alike.
    LOG_FIELDS = (
        "event",
        "event_id",
        "occurred_at",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "last_duration_ms",
        "delivered_at",
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The outbox writes an event once per endpoint, however often the writer runs.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_event_once"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]), name="webhook_delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="webhook_delivery_delivered_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_is_due",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event} {self.event_id}"

    @property
    def can_redeliver(self) -> bool:
        return self.status != self.Status.PENDING
