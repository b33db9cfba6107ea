"""Settings for the partner-API load test: the product's settings plus the hand-written baseline routes.

The baseline views live only here (``bench.urls``), never in the product's URLconf.
"""

from ppp.settings.local import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
