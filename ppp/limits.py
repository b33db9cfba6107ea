"""How long free text may be: descriptions, comments, reasons, notes, addresses.

A TextField's ``max_length`` only sizes the admin's form field; it is not a database limit. ``bounded_text``
makes the limit hold everywhere: admin forms and model validation (services' ``field.clean``) refuse longer
text, DRF's ModelSerializer turns it into a ``max_length`` (a 400 naming the field, ``maxLength`` in the
schema), and ``text_length_checks`` adds the CheckConstraint that makes the database refuse it too.

The limits sit far above what anyone writes in these fields (a long description is a few thousand
characters); a row already longer would make the migration adding the constraint fail, and must be
shortened first.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext

from .errors import RuleViolation

ADDRESS = 2_000  # a postal address
NOTE = 5_000  # a reason, a comment, a decision note, an iteration goal
DESCRIPTION = 10_000  # a description, a mitigation plan, a gate decision's notes


def bounded_text(max_length: int, **kwargs) -> models.TextField:
    return models.TextField(max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs)


def text_length_checks(prefix: str, **limits: int) -> list[models.CheckConstraint]:
    """One CheckConstraint per field: ``<prefix>_<field>_max_length`` (LENGTH counts characters)."""
    return [
        models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=f"{prefix}_{field}_max_length")
        for field, limit in limits.items()
    ]


def check_text_length(value: str, limit: int, *, field: str) -> str:
    """For services given text outside a form or serializer (an action's comment): a RuleViolation naming
    ``field`` rather than the database's IntegrityError."""
    if len(value) > limit:
        raise RuleViolation(
            gettext("Ensure this value has at most {limit:,} characters (it has {length:,}).").format(
                limit=limit, length=len(value)
            ),
            field=field,
        )
    return value
