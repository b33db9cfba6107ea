# French formats for every page, PDF, CSV and email (see ppp/formatting.py). Only what must read the same
# everywhere is set here; the rest (input formats, first day of week) is Django's own fr locale.
# Django's fr DATE_FORMAT spells the month in full ("3 décembre 2026"); tables and PDFs use the short form.
DATE_FORMAT = "j N Y"  # 3 déc. 2026
SHORT_DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y, H:i"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # 1 234 567,89 (a no-break space, as Django's fr locale)
NUMBER_GROUPING = 3
