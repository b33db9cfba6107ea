"""Board reports rendered to bytes: PDF (reportlab) and CSV."""

from .csv_export import milestones_csv, payments_csv, portfolio_csv
from .pdf import milestone_report_pdf, portfolio_report_pdf

__all__ = ["milestone_report_pdf", "milestones_csv", "payments_csv", "portfolio_csv", "portfolio_report_pdf"]
