from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from ppp import events

        from . import services, tasks

        # Inside the publishing transaction: the delivery rows (the outbox) commit with the change itself.
        events.subscribe(services.deliveries_record, in_transaction=True)
        services.queue_send = tasks.send_delivery.delay
