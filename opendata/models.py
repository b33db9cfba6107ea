"""Published OCDS releases: written once, never changed."""

from django.conf import settings
from django.db import models

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

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="+")
    ocid = models.CharField(max_length=128, db_index=True)
    sequence = models.PositiveIntegerField(help_text="1 for the agreement's first release, then 2, 3…")
    release_id = models.CharField(max_length=160, unique=True)
    date = models.DateTimeField(db_index=True)
    tags = models.JSONField()
    content_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the content without id, date and tag: tells a change from none."
    )
    body = models.TextField(help_text="The release's JSON, exactly as published.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "sequence"], name="release_sequence_unique_per_agreement"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="release_sequence_from_one"),
        ]
        indexes = [models.Index(fields=["date", "id"], name="release_publication_order")]

    def __str__(self):
        return self.release_id
