"""What an uploaded file's name becomes on disk: a random folder per file, the client's name made safe."""

import re

import pytest

from projects.evidence import MAX_ORIGINAL_NAME, evidence_upload_to, sanitised_name


@pytest.mark.parametrize(
    "uploaded, stored",
    [
        ("Quarterly report (final).pdf", "Quarterly_report_final.pdf"),
        ("../../ppp/settings/base.py", "base.py"),
        ("C:\\Users\\me\\site plan.png", "site_plan.png"),
        ("..", "evidence"),
        ("<>", "evidence"),
    ],
)
def test_client_names_are_made_safe(uploaded, stored):
    assert sanitised_name(uploaded) == stored


def test_long_names_are_cut_keeping_the_extension():
    name = sanitised_name("a" * 300 + ".xlsx")

    assert len(name) == MAX_ORIGINAL_NAME and name.endswith(".xlsx")


def test_each_upload_gets_its_own_random_folder():
    first, second = evidence_upload_to(None, "report.pdf"), evidence_upload_to(None, "report.pdf")

    assert first != second
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}/report\.pdf", first)
