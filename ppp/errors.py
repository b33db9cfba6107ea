"""Domain errors raised by services. Admin actions show them; the API maps them to 400 / 409 / 412."""

from django.utils.translation import gettext


class DomainError(Exception):
    """A business rule refused a change. ``field`` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    """The input breaks a rule (shares over 100 %, debarred vendor, ...): a 400 in the API."""


class StateConflict(DomainError):
    """The object's current state does not allow the change (e.g. editing a submitted deliverable): a 409."""

    def __init__(self, message: str, *, current: str, field: str = "status"):
        # ``field`` names what must change on the object first when it is not its status (e.g. its evidence).
        super().__init__(message, field=field)
        self.current = current


class TransitionError(StateConflict):
    """A state change that is not allowed from the current state: a 409 in the API."""

    def __init__(self, obj, current: str, target: str, reason: str = ""):
        label = obj._meta.verbose_name
        if reason:
            message = gettext("Cannot move {label} '{obj}' from '{current}' to '{target}': {reason}.")
        else:
            message = gettext("Cannot move {label} '{obj}' from '{current}' to '{target}'.")
        message = message.format(label=label, obj=obj, current=current, target=target, reason=reason)
        super().__init__(message, current=current)
        self.target = target


class StaleVersion(DomainError):
    """The caller's copy is out of date (someone changed the row since they read it): a 412 in the API."""

    def __init__(self, obj, expected: int, current: int):
        label = obj._meta.verbose_name
        super().__init__(
            gettext(
                "The {label} '{obj}' changed since you read it (your version {expected}, now {current}); "
                "read it again and retry."
            ).format(label=label, obj=obj, expected=expected, current=current),
            field="version",
        )
        self.expected = expected
        self.current = current


def full_clean_or_raise(instance):
    """Run a model's own guards (``full_clean``) and raise the first one as a RuleViolation."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise RuleViolation(" ".join(messages), field=None if field == "__all__" else field) from exc
    return instance
