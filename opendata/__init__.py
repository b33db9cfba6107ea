"""Open data: agreements as OCDS-for-PPPs release packages (``build``), validated against the official
schema (``schema``) and written as a stream (``package``)."""
