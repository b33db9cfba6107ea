"""What the partner API shows and accepts. Reads only: every write goes through a service."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed

from ppp import limits
from ppp.logins import cooloff_seconds
from procurement.models import Agreement, CostShare, Vendor, VendorContact
from projects.models import Deliverable, Milestone, Project
from projects.services import VENDOR_EDITABLE_FIELDS
from projects.validators import allowed_evidence_extensions

from .errors import LoginLockedOut


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)  # auth.User's limit; axes records failures per username
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        request = self.context["request"]
        # The request goes to authenticate() so django-axes counts the failure against this username and this
        # address, and refuses (even a right password) while either is locked out.
        user = authenticate(request, username=attrs["username"], password=attrs["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(wait=cooloff_seconds())
            raise AuthenticationFailed("Unknown username or wrong password.")
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once; keep it secret.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")


class VendorContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = VendorContact
        fields = ["id", "name", "email", "phone", "role", "receives_alerts"]


class VendorSerializer(serializers.ModelSerializer):
    contacts = VendorContactSerializer(many=True, read_only=True)

    class Meta:
        model = Vendor
        fields = ["id", "legal_name", "registration_number", "country", "address", "website", "status", "contacts"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    is_officer = serializers.BooleanField(help_text="True for agency officers (who read every vendor's data).")
    vendor = VendorSerializer(allow_null=True, help_text="The vendor you act for; null for officers.")


class CostShareSerializer(serializers.ModelSerializer):
    party = serializers.CharField(source="party_name", read_only=True)
    committed_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = CostShare
        fields = ["vendor", "party", "percentage", "committed_amount"]


class AgreementSerializer(serializers.ModelSerializer):
    authority = serializers.CharField(source="authority.name", read_only=True)
    cost_shares = CostShareSerializer(
        source="visible_shares",
        many=True,
        read_only=True,
        help_text="The shares you may see: a vendor sees its own share only, officers every party's.",
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "reference",
            "title",
            "authority",
            "procurement_method",
            "status",
            "total_value",
            "currency",
            "start_date",
            "end_date",
            "signed_date",
            "cost_shares",
        ]


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "agreement",
            "delivery_method",
            "phase",
            "start_date",
            "end_date",
            "description",
        ]


class MilestoneSerializer(serializers.ModelSerializer):
    days_overdue = serializers.SerializerMethodField(help_text="Whole days past due while open; 0 otherwise.")
    days_late = serializers.SerializerMethodField(
        help_text="Whole days past due that count against the vendor: to `delivered_on` once achieved (the "
        "agency's review time does not count), to today while open or missed; 0 when cancelled."
    )

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "iteration",
            "title",
            "description",
            "type",
            "status",
            "baseline_due_date",
            "due_date",
            "delivered_on",
            "achieved_date",
            "days_overdue",
            "days_late",
            "payment_amount",
            "responsible_vendor",
        ]
        extra_kwargs = {
            "delivered_on": {"help_text": "When the vendor delivered: the day its last deliverable was submitted."},
            "achieved_date": {"help_text": "When an officer accepted the delivery."},
        }

    # The list endpoint reads rows with .values() (api/listing.py): what the computed fields are worked out from.
    row_columns = {"days_overdue": ("status", "due_date"), "days_late": ("status", "due_date", "delivered_on")}

    def get_days_overdue(self, milestone) -> int:
        return milestone.days_overdue(self._today())

    def days_overdue_from_row(self, row: dict) -> int:
        return Milestone.days_overdue_of(status=row["status"], due_date=row["due_date"], on=self._today())

    def get_days_late(self, milestone) -> int:
        return milestone.days_late(self._today())

    def days_late_from_row(self, row: dict) -> int:
        return Milestone.days_late_of(
            status=row["status"], due_date=row["due_date"], delivered_on=row["delivered_on"], on=self._today()
        )

    def _today(self):
        # Read once per serializer: a list asks twice a row, and ``self.context`` walks up to the root each time.
        try:
            return self._today_value
        except AttributeError:
            self._today_value = self.context.setdefault("today", timezone.localdate())
            return self._today_value


# What a vendor may PATCH (files go through the evidence action); everything else is the agency's.
# The service owns the list; files arrive through the evidence action, not a PATCH.
DELIVERABLE_WRITABLE = tuple(name for name in VENDOR_EDITABLE_FIELDS if name != "evidence_file")


class DeliverableSerializer(serializers.ModelSerializer):
    """A deliverable. Its responsible vendor may PATCH progress, description and evidence_url; any other field
    is refused with a 400 naming it, so nobody believes a change was stored when it was not."""

    project = serializers.IntegerField(source="milestone.project_id", read_only=True)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text="Percent complete.")
    evidence_file = serializers.FileField(read_only=True, use_url=True)
    first_approved_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Four eyes: when a first officer approved it. Deliverables of milestones paying the four-eyes "
        "threshold or more are accepted only when a second officer approves too; null otherwise.",
    )
    awaiting_second_approval = serializers.SerializerMethodField(
        help_text="Submitted, approved by one officer and waiting for a second officer to accept it."
    )

    class Meta:
        model = Deliverable
        fields = [
            "id",
            "milestone",
            "project",
            "title",
            "description",
            "responsible_vendor",
            "status",
            "progress",
            "evidence_url",
            "evidence_file",
            "submitted_at",
            "first_approved_at",
            "awaiting_second_approval",
            "reviewed_at",
            "review_comment",
            "version",
            "updated_at",
        ]
        read_only_fields = [name for name in fields if name not in DELIVERABLE_WRITABLE]
        extra_kwargs = {"review_comment": {"help_text": "The reviewer's reasons, for the vendor."}}

    # The list endpoint reads rows with .values() (api/listing.py): what awaiting_second_approval comes from.
    row_columns = {"awaiting_second_approval": ("status", "first_approved_by")}

    def get_awaiting_second_approval(self, deliverable) -> bool:
        return deliverable.awaiting_second_approval

    def awaiting_second_approval_from_row(self, row: dict) -> bool:
        return row["status"] == Deliverable.Status.SUBMITTED and row["first_approved_by"] is not None

    def validate(self, attrs):
        not_writable = sorted(set(self.initial_data) - set(DELIVERABLE_WRITABLE))
        if not_writable:
            raise serializers.ValidationError(
                {name: ["This field cannot be changed through the API."] for name in not_writable}
            )
        return attrs


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service refuses it, with the other content checks (415)
        help_text=(
            f"The evidence document: {allowed_evidence_extensions()}, "
            f"at most {settings.PPP_EVIDENCE_MAX_BYTES:,} bytes."
        ),
    )


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.NOTE, help_text="Note to the vendor."
    )


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=limits.NOTE, help_text="Why the deliverable is sent back; the vendor reads this."
    )
