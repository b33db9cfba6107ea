"""Production serves the admin's stylesheets itself: WhiteNoise over the collected, hashed static files."""

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

# Production's storage and middleware are base.py's (production.py cannot be imported without its secrets).
from ppp.settings import base as production_settings


@pytest.fixture
def collected_static(tmp_path, settings):
    """Given the production static storage and a `collectstatic` run into an empty STATIC_ROOT."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = production_settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path


def test_production_settings_use_whitenoise_and_hashed_static_names():
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in production_settings.MIDDLEWARE
    assert production_settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") == 2  # after security
    backend = production_settings.STORAGES["staticfiles"]["BACKEND"]
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"


@override_settings(DEBUG=False)
def test_the_admin_css_is_served_from_the_collected_files_with_debug_off(collected_static):
    # When the admin page links its stylesheet under the hashed name
    url = static("admin/css/base.css")
    assert url.startswith("/static/admin/css/base.") and url != "/static/admin/css/base.css"

    response = Client().get(url)

    # Then the web process itself answers it, cacheable for ever, compressed for browsers that ask
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"/*")
    assert response["Content-Type"].startswith("text/css")
    assert "immutable" in response["Cache-Control"]
    gzipped = Client().get(url, headers={"accept-encoding": "gzip"})
    assert gzipped["Content-Encoding"] == "gzip"
