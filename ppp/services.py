"""The steps every domain service repeats for a plain create / update / delete, written once.

The domain services (``procurement/services.py``, ``projects/services.py``) call these with their model and
their own rules. A model states what may not change in its current state with ``locked_fields()`` (a mapping
of field name to the reason), and what blocks its deletion with ``deletion_blocker()``; these helpers lock the
row, refuse a change to a locked field, run the model's own guards, save only what changed and record who did
it in the history. No domain app is imported here.
"""

from collections.abc import Mapping

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext

from ppp.errors import RuleViolation, StaleVersion, full_clean_or_raise


def _name_author(instance, by) -> None:
    """Name ``by`` as the author of the history row the next save or delete of ``instance`` writes.

    ``by`` is the user who acts: an officer, a vendor user, or for work nobody started by hand (a task, a
    command run without ``--by``) the system user the caller chose. ``None`` is a mistake, not "unknown".
    """
    if by is None:
        raise ValueError(f"A change to {instance._meta.verbose_name} needs the user who makes it (by=...).")
    instance._history_user = by


def save_with_author(instance, by, fields=None):
    """Save ``instance`` with ``by`` as the history author: only ``fields`` when given (``update_fields``),
    the whole row otherwise (a new row). The one place services name who changed what."""
    _name_author(instance, by)
    instance.save(update_fields=fields) if fields is not None else instance.save()
    return instance


def delete_with_author(instance, by):
    """Delete ``instance`` with ``by`` as the author of its last history row."""
    _name_author(instance, by)
    return instance.delete()


def locked_fields(instance) -> Mapping[str, str]:
    """What may not change on ``instance`` now, with why (the model's lock table; nothing when it has none)."""
    method = getattr(instance, "locked_fields", None)
    return method() if method else {}


def _field(model, name):
    try:
        field = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a reverse relation name
        field = None
    if field is None or not field.editable or field.primary_key or field.auto_created:
        raise RuleViolation(
            gettext("'{name}' is not a field that can be set on a {verbose_name}.").format(
                name=name, verbose_name=model._meta.verbose_name
            ),
            field=name,
        )
    return field


def _same(field, instance, value) -> bool:
    if field.many_to_many:
        return instance.pk is not None and {getattr(item, "pk", item) for item in value} == set(
            getattr(instance, field.name).values_list("pk", flat=True)
        )
    current = getattr(instance, field.attname)
    if field.is_relation:
        return current == getattr(value, "pk", value)
    if isinstance(field, models.FileField):
        return value is None or value == current or (not value and not current)
    return current == value


def _apply(instance, values: Mapping[str, object]):
    """Set plain fields now; return the many-to-many ones, to be set once the row is saved."""
    later = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            later[field] = value
        elif field.is_relation and not isinstance(value, models.Model):
            setattr(instance, field.attname, value)
        else:
            field.save_form_data(instance, value)  # a FileField's False (cleared) becomes empty
    return later


@transaction.atomic
def record_create(model, *, by, data: Mapping[str, object]):
    """Create one row of ``model`` from ``data`` after its own guards (``full_clean``); many-to-many included."""
    instance = model()
    for name in data:
        _field(model, name)
    later = _apply(instance, data)
    full_clean_or_raise(instance)
    save_with_author(instance, by)
    for field, value in later.items():
        getattr(instance, field.name).set(value)
    return instance


@transaction.atomic
def record_update(model, *, pk, by, changes: Mapping[str, object], expected_version: int | None = None):
    """Change the fields in ``changes`` of the row ``pk``: locked, checked against the lock table, then saved.

    Values equal to the current ones are dropped, so a form that re-sends a
    locked field unchanged passes, and one that changes it gets a RuleViolation naming the field. A model with a
    ``version`` column (the API's ETag) gets it bumped; ``expected_version`` refuses a stale copy (StaleVersion).
    """
    instance = model._default_manager.select_for_update().get(pk=pk)
    if expected_version is not None and instance.version != expected_version:
        raise StaleVersion(instance, expected_version, instance.version)
    fields = {name: _field(model, name) for name in changes}
    changes = {name: value for name, value in changes.items() if not _same(fields[name], instance, value)}
    locked = locked_fields(instance)
    for name in changes:
        if name in locked:
            label = fields[name].verbose_name
            raise RuleViolation(
                gettext("The {label} of {verbose_name} '{instance}' is locked: {locked}.").format(
                    label=label, verbose_name=model._meta.verbose_name, instance=instance, locked=locked[name]
                ),
                field=name,
            )
    if not changes:
        return instance
    later = _apply(instance, changes)
    full_clean_or_raise(instance)
    update_fields = [fields[name].name for name in changes if not fields[name].many_to_many]
    if any(field.name == "version" for field in model._meta.fields):
        instance.version += 1
        update_fields.append("version")
    if any(field.name == "updated_at" for field in model._meta.fields):
        update_fields.append("updated_at")
    if update_fields:
        save_with_author(instance, by, update_fields)
    for field, value in later.items():
        getattr(instance, field.name).set(value)
    return instance


@transaction.atomic
def record_delete(model, *, pk, by):
    """Delete the row ``pk`` unless its model's ``deletion_blocker()`` or a protecting reference refuses.

    Rows that carry money or history are kept by their models' rules or by
    ``on_delete=PROTECT``; both come back as a RuleViolation that says why, never a server error.
    """
    instance = model._default_manager.select_for_update().get(pk=pk)
    blocker = getattr(instance, "deletion_blocker", lambda: None)()
    label = f"{model._meta.verbose_name} '{instance}'"
    if blocker:
        raise RuleViolation(
            gettext("The {label} cannot be deleted: {blocker}.").format(label=label, blocker=blocker), field=None
        )
    try:
        delete_with_author(instance, by)
    except (ProtectedError, RestrictedError) as exc:
        referring = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in referring})
        raise RuleViolation(
            gettext("The {label} cannot be deleted: {related} still refer to it.").format(
                label=label, related=", ".join(kinds)
            ),
            field=None,
        ) from exc
    return instance
