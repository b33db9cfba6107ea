"""The two role groups and what they may do. Migrations call ``sync_role_groups`` so each
app that adds models brings the groups up to date (data migrations run before post_migrate
creates permissions, so this creates them first)."""

from django.db.models import Q

OFFICERS = "Procurement officers"
BOARD = "Project board"
# Apps whose models officers manage in full and boards may view.
DOMAIN_APPS = ("procurement", "projects", "payments")
# Apps officers manage but boards do not see (partner-API tokens; failed logins and lockouts; vendors' webhooks).
OFFICER_ONLY_APPS = ("knox", "axes", "webhooks")
# Models officers only look up (owner / board member pickers in the admin).
OFFICER_VIEW_ONLY = (("auth", "user"),)
# Domain models boards do not see: personal data (vendor contacts, vendor logins) and the alert log
# (recipients' addresses). Syncing removes these from the board group, so older databases lose them too.
BOARD_HIDDEN = (
    ("procurement", "vendorcontact"),
    ("procurement", "vendoruser"),
    ("projects", "alert"),
    ("payments", "vendorinvoice"),  # vendors' invoice documents are finance's business
)


def sync_role_groups(apps, schema_editor=None):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    domain = Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)

    officers, _ = Group.objects.get_or_create(name=OFFICERS)
    officers.permissions.add(*domain)
    officers.permissions.add(*Permission.objects.filter(content_type__app_label__in=OFFICER_ONLY_APPS))
    for app_label, model in OFFICER_VIEW_ONLY:
        officers.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, content_type__model=model, codename__startswith="view_"
            )
        )

    hidden = Q()
    for app_label, model in BOARD_HIDDEN:
        hidden |= Q(content_type__app_label=app_label, content_type__model=model)
    board, _ = Group.objects.get_or_create(name=BOARD)
    board.permissions.add(*domain.filter(codename__startswith="view_").exclude(hidden))
    board.permissions.remove(*Permission.objects.filter(hidden | Q(content_type__app_label__in=OFFICER_ONLY_APPS)))
