"""Board pages: a board member's projects, one project's milestones, and its PDF / CSV downloads.

Everything is scoped by ``projects_visible_to``: a project on someone else's board answers 404.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .reports import milestone_report_pdf, milestones_csv, payments_csv, portfolio_report_pdf
from .reports.kpis import kpi_chart, svg_sparkline
from .reports.timeline import milestone_timeline, svg_layout
from .selectors import (
    board_projects,
    project_for_user,
    project_gate_decisions,
    project_report,
    projects_visible_to,
    user_sees_all_projects,
)


def board_view(view):
    """Board pages are for logged-in users, read only, and never cached by a shared proxy."""
    return login_required(never_cache(require_safe(view)))


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@board_view
def project_list(request):
    today = timezone.localdate()
    return render(
        request,
        "boards/project_list.html",
        {
            "projects": board_projects(request.user, on=today),
            "sees_all": user_sees_all_projects(request.user),
            "today": today,
        },
    )


@board_view
def project_detail(request, pk: int):
    project = project_for_user(request.user, pk)
    report = project_report(project)
    timeline = milestone_timeline(report.rows, report.on)
    return render(
        request,
        "boards/project_detail.html",
        {
            "project": project,
            "report": report,
            "timeline": timeline,
            "svg": svg_layout(timeline),
            "kpis": [(row, svg_sparkline(kpi_chart(row))) for row in report.kpis],
            "gate_decisions": project_gate_decisions(project),
        },
    )


@board_view
def project_report_download(request, pk: int):
    project = project_for_user(request.user, pk)
    today = timezone.localdate()
    return _download(
        milestone_report_pdf(project, on=today), "application/pdf", f"milestone-report-{project.code}-{today}.pdf"
    )


@board_view
def project_milestones_download(request, pk: int):
    project = project_for_user(request.user, pk)
    report = project_report(project, governance=False)
    return _download(milestones_csv(report), "text/csv; charset=utf-8", f"milestones-{project.code}-{report.on}.csv")


@board_view
def project_payments_download(request, pk: int):
    project = project_for_user(request.user, pk)
    report = project_report(project, governance=False)
    filename = f"payments-{project.agreement.reference}-{report.on}.csv"
    return _download(payments_csv(report), "text/csv; charset=utf-8", filename)


@board_view
def portfolio_report_download(request):
    today = timezone.localdate()
    return _download(
        portfolio_report_pdf(projects_visible_to(request.user), on=today),
        "application/pdf",
        f"portfolio-report-{today}.pdf",
    )
