from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from ppp import events

        from .services import deliveries_record

        # Inside the publishing transaction: the delivery rows (the outbox) commit with the change itself.
        events.subscribe(deliveries_record, in_transaction=True)
