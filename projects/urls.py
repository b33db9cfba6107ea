from django.urls import path

from . import views

app_name = "boards"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("portfolio-report.pdf", views.portfolio_report_download, name="portfolio_report"),
    path("portfolio.csv", views.portfolio_csv_download, name="portfolio_csv"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/milestone-report.pdf", views.project_report_download, name="project_report"),
    path("projects/<int:pk>/milestones.csv", views.project_milestones_download, name="project_milestones_csv"),
    path("projects/<int:pk>/payments.csv", views.project_payments_download, name="project_payments_csv"),
]
