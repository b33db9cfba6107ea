# Spanish formats for every page, PDF, CSV and email (see ppp/formatting.py). Only what must read the same
# everywhere is set here; the rest (input formats, first day of week) is Django's own es locale.
# Django's es DATE_FORMAT is "3 de diciembre de 2026"; tables and PDFs use the short form.
DATE_FORMAT = "j N Y"  # 3 dic. 2026
SHORT_DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y, H:i"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
DECIMAL_SEPARATOR = ","
# Django's es locale groups with a no-break space; Spanish financial documents write 1.234.567,89.
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
