"""Board pages: a board member's projects, one project's milestones, and its PDF / CSV downloads.

Everything is scoped by ``projects_visible_to``: a project on someone else's board answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import services
from .models import Notification
from .reports import milestone_report_pdf, milestones_csv, payments_csv, portfolio_csv, portfolio_report_pdf
from .reports.kpis import kpi_chart, svg_sparkline
from .reports.spend import spend_chart, svg_spend
from .reports.timeline import TIMELINE_LIMIT, milestone_timeline, svg_layout
from .selectors import (
    board_list,
    project_board,
    project_for_user,
    project_gate_decisions,
    project_report,
    projects_visible_to,
    user_sees_all_projects,
)

CSV = "text/csv; charset=utf-8"


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
            "board": board_list(request.user, on=today),
            "sees_all": user_sees_all_projects(request.user),
            "today": today,
        },
    )


@board_view
def project_detail(request, pk: int):
    """A project's board page. Its milestones come a page at a time (``?page=``, by default the page holding today),
    with the late and due-soon ones first when there is more than a page: a board reads the page at a glance, and the
    PDF and the CSV are the full record."""
    project = project_for_user(request.user, pk)
    board = project_board(project, page=request.GET.get("page"), timeline_limit=TIMELINE_LIMIT)
    report = board.report
    timeline = milestone_timeline(board.timeline_rows, report.on, total=report.tally.counted)
    return render(
        request,
        "boards/project_detail.html",
        {
            "project": project,
            "board": board,
            "report": report,
            "timeline": timeline,
            "svg": svg_layout(timeline),
            "status": report.status,
            "spend": svg_spend(spend_chart(report.payments)),
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
    return _download(milestones_csv(report), CSV, f"milestones-{project.code}-{report.on}.csv")


@board_view
def project_payments_download(request, pk: int):
    project = project_for_user(request.user, pk)
    report = project_report(project, governance=False)
    filename = f"payments-{project.agreement.reference}-{report.on}.csv"
    return _download(payments_csv(report), CSV, filename)


@board_view
def portfolio_report_download(request):
    today = timezone.localdate()
    return _download(
        portfolio_report_pdf(projects_visible_to(request.user), on=today),
        "application/pdf",
        f"portfolio-report-{today}.pdf",
    )


@board_view
def portfolio_csv_download(request):
    """The board list as CSV: one line per project with its status, counts and money."""
    today = timezone.localdate()
    return _download(portfolio_csv(board_list(request.user, on=today)), CSV, f"portfolio-{today}.csv")


# --- Notifications: the signed-in user's own alerts ------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 50


@board_view
def notification_list(request):
    """The user's notifications, newest first, a page at a time; ``?unread=1`` for the unread ones only."""
    notifications = Notification.objects.for_user(request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        notifications = notifications.unread()
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "boards/notifications.html",
        {
            "page": page,
            "only_unread": only_unread,
            "unread_count": Notification.objects.filter(user=request.user).unread().count(),
        },
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    try:
        services.notification_mark_read(notification_id=pk, by=request.user)
    except Notification.DoesNotExist as exc:  # another user's, or none: the same answer
        raise Http404 from exc
    return redirect(_back_to_notifications(request))


@login_required
@require_POST
def notification_read_all(request):
    marked = services.notifications_mark_all_read(by=request.user)
    messages.success(
        request, ngettext("Marked %(n)s notification read.", "Marked %(n)s notifications read.", marked) % {"n": marked}
    )
    return redirect(_back_to_notifications(request))


def _back_to_notifications(request) -> str:
    url = reverse("boards:notifications")
    return f"{url}?unread=1" if request.POST.get("unread") == "1" else url
