from django.urls import path

from . import views

app_name = "boards"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path("portfolio-report.pdf", views.portfolio_report_download, name="portfolio_report"),
    path("portfolio.csv", views.portfolio_csv_download, name="portfolio_csv"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/milestone-report.pdf", views.project_report_download, name="project_report"),
    path("projects/<int:pk>/milestones.csv", views.project_milestones_download, name="project_milestones_csv"),
    path("projects/<int:pk>/payments.csv", views.project_payments_download, name="project_payments_csv"),
]
