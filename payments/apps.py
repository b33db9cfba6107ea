from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from projects.selectors import register_board_section, register_report_section

        from .selectors import add_payments_to_board_rows, add_payments_to_reports

        # The board pages, CSV and PDF reports show each party's payments: projects asks, payments answers.
        register_report_section(add_payments_to_reports)
        register_board_section(add_payments_to_board_rows)
