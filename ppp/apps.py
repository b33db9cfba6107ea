from django.contrib.admin.apps import AdminConfig


class PPPAdminConfig(AdminConfig):
    """The admin with ppp-tracker's own site (an index that shows what is overdue)."""

    default_site = "ppp.admin.PPPAdminSite"
