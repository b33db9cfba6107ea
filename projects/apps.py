from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects and delivery")

    def ready(self):
        from django.db.models.signals import post_delete

        from procurement.services import register_amendment_participant

        from .evidence import remove_evidence_of_deleted_deliverable
        from .services import milestones_under_amendment

        # Storage housekeeping, not a business rule: a deleted deliverable's evidence file is removed after commit.
        post_delete.connect(remove_evidence_of_deleted_deliverable, sender="projects.Deliverable")
        # Amending an agreement checks and re-baselines its projects' milestones (see procurement.services).
        register_amendment_participant(milestones_under_amendment)
