"""Published OCDS releases: written once, never changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from procurement.models import Agreement


class ReleaseQuerySet(models.QuerySet):
    def in_publication_order(self):
        return self.order_by("date", "pk")

    def latest_per_agreement(self, agreement_ids):
        """The newest release of each of these agreements (one query)."""
        newest = (
            Release.objects.filter(agreement_id=models.OuterRef("agreement_id"))
            .order_by("-sequence")
            .values("sequence")[:1]
        )
        return self.filter(agreement_id__in=agreement_ids, sequence=models.Subquery(newest))


class Release(models.Model):
    """One OCDS release as it was published. ``body`` holds the exact JSON text sent, so a release id
    always answers the same bytes; a change to the agreement adds a release, it never rewrites one."""

    agreement = models.ForeignKey(Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="+")
    ocid = models.CharField(_("ocid"), max_length=128, db_index=True)
    sequence = models.PositiveIntegerField(
        _("sequence"), help_text=_("1 for the agreement's first release, then 2, 3…")
    )
    release_id = models.CharField(_("release id"), max_length=160, unique=True)
    date = models.DateTimeField(_("date"), db_index=True)
    tags = models.JSONField(_("tags"))
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        help_text=_("SHA-256 of the content without id, date and tag: tells a change from none."),
    )
    body = models.TextField(_("body"), help_text=_("The release's JSON, exactly as published."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "sequence"], name="release_sequence_unique_per_agreement"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="release_sequence_from_one"),
        ]
        indexes = [models.Index(fields=["date", "id"], name="release_publication_order")]

    def __str__(self):
        return self.release_id
