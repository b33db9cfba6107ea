"""Settings by environment: local by default, production only when asked for and fully configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "ppp.settings.production",
    "DJANGO_SECRET_KEY": "x7#k2!pQ9vL0zR4mW8sT1yU6nB3cE5gH-jD0aF2iK9oP7wq8Zr5Lm3Nx",
    "DJANGO_ALLOWED_HOSTS": "ppp.example.gov",
    "DATABASE_URL": "postgres://ppp@db.invalid:5432/ppp",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
}
SHOW = "from django.conf import settings as s; print(s.SETTINGS_MODULE, s.DEBUG, s.DATABASES['default']['ENGINE'])"


def _manage(*args, settings_module="ppp.settings.local", **env):
    """Run manage.py as a newcomer would: none of this shell's DJANGO_* or service URLs leak in."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "PPP_"))
    }
    if settings_module:
        environment["DJANGO_SETTINGS_MODULE"] = settings_module
    environment.update(**env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_manage_py_runs_with_local_settings_when_nothing_is_set():
    # Given a fresh shell with no DJANGO_SETTINGS_MODULE, DJANGO_DEBUG or secret
    result = _manage("shell", "-v", "0", "-c", SHOW, settings_module=None)

    # Then commands work as README writes them: local settings, DEBUG on, SQLite under var/
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ppp.settings.local", "True", "django.db.backends.sqlite3"]


def test_local_settings_keep_the_environment_overrides():
    result = _manage("shell", "-v", "0", "-c", SHOW, DJANGO_DEBUG="0", DATABASE_URL="postgres://u@db.invalid/ppp")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ppp.settings.local", "False", "django.db.backends.postgresql"]


def test_wsgi_asgi_and_celery_pick_their_environment():
    # The web server of a deployment is production unless told otherwise; worker and beat follow manage.py.
    assert 'setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.production")' in (ROOT / "ppp/wsgi.py").read_text()
    assert 'setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.production")' in (ROOT / "ppp/asgi.py").read_text()
    assert 'setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.local")' in (ROOT / "ppp/celery.py").read_text()
    for line in (ROOT / "Procfile.production").read_text().splitlines():
        if not line.startswith("#"):
            assert "ppp.settings.production" in line, line


def test_deploy_check_is_clean_with_production_settings_and_a_real_secret():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", settings_module=None, **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_secure():
    result = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.STORAGES['staticfiles']['BACKEND'], s.EMAIL_BACKEND)",
        settings_module=None,
        **PRODUCTION_ENV,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_production_refuses_to_start_without_a_secret():
    result = _manage("check", settings_module=None, **{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_names_every_missing_service_instead_of_falling_back_to_development_defaults():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}

    result = _manage("check", settings_module=None, **env)

    assert result.returncode != 0
    assert "DATABASE_URL, CELERY_BROKER_URL must be set for ppp.settings.production" in result.stderr


def test_production_refuses_debug():
    result = _manage("check", settings_module=None, **PRODUCTION_ENV, DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "never runs in debug" in result.stderr


def test_the_suite_runs_on_test_settings():
    from django.conf import settings

    assert settings.SETTINGS_MODULE == "ppp.settings.test"
    assert settings.DEBUG is False
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
