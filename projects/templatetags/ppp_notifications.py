"""``{% unread_notifications %}``: the signed-in user's unread count, for the board pages' header badge."""

from django import template

from projects.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user).unread().count()
