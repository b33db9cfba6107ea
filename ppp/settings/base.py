"""Settings shared by every environment, read from the environment (see README.md for every variable).

Pick the environment with DJANGO_SETTINGS_MODULE, as cookiecutter-django does:

- ``ppp.settings.local`` (the default of ``manage.py`` and Celery): DEBUG on, a development secret, SQLite and a
  file-system Celery broker under the git-ignored ``var/`` folder, emails on the console. A fresh clone runs with
  nothing else installed.
- ``ppp.settings.production`` (the default of ``wsgi.py``/``asgi.py``; opt in everywhere else): DEBUG off, and it
  refuses to start without ``DJANGO_SECRET_KEY``, ``DATABASE_URL`` and ``CELERY_BROKER_URL``.
- ``ppp.settings.test``: the test suite (pytest selects it).

This module is not meant to be used on its own: it has no secret key.
"""

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is convenient in development; real deployments use the process environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Each environment module decides (local: on; production and tests: off). Never derive other settings from
# DEBUG here: this module is read before the environment module sets it.
DEBUG = False

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "ppp.apps.PPPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "procurement",
    "projects",
    "payments",
    "opendata",
    "webhooks",
    "api",
    # Failed-login records and lockouts (admin: Axes → Access attempts); see "Logins" below.
    "axes",
]

MIDDLEWARE = [
    # Outermost: under /api/ every error, even one Django answers in HTML, comes out in the API's JSON shape.
    "api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from STATIC_ROOT (after `collectstatic`) in production, with far-future caching of the
    # hashed names; with DEBUG on, runserver's own static view answers first-hand as before.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks the language from the session/cookie set by the switcher (i18n/setlang/), then Accept-Language;
    # after sessions (it reads them), before common (which may redirect and must keep the language).
    "django.middleware.locale.LocaleMiddleware",
    # CommonMiddleware without APPEND_SLASH redirects under /api/ (a redirected POST would lose its body).
    "api.middleware.ApiAwareCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user on every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a lockout on the admin login into the lockout page (ppp.logins.lockout_response).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses every password, right or wrong, while the username or the address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "ppp.urls"
WSGI_APPLICATION = "ppp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # ``ppp`` is not an installed app (its AppConfig is the admin's), so its tags are named here.
            "libraries": {"ppp_format": "ppp.templatetags.ppp_format"},
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # SQLite, shared by the web server, the worker and beat (make run). Without these a worker's digest,
    # having read in a deferred transaction, failed to upgrade to a write while the web wrote, after the
    # email had gone: "database is locked", delivery unrecorded, email sent again.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Every transaction takes the write lock at BEGIN, where waiting is possible, never half-way
            # through (where SQLite must refuse at once). Writers queue; nothing fails for having read first.
            "transaction_mode": "IMMEDIATE",
            # Seconds a connection waits for the write lock before "database is locked". Longer than
            # DJANGO_EMAIL_TIMEOUT: a digest holds the lock while the mail server answers.
            "timeout": env.int("PPP_SQLITE_BUSY_TIMEOUT", default=45),
            # WAL: readers never block the writer nor the writer them, and a commit need not wait for
            # readers. It is a property of the file (set once, kept). synchronous=NORMAL (per connection):
            # with WAL a process crash loses nothing; a power cut may undo the last commits, never corrupt.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The agency's language: pages fall back to it, and alerts emails are written in it (projects/alerts.py).
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en-gb")
# The languages users may switch to (admin header, board pages); each is named in its own language.
LANGUAGES = [
    ("en-gb", "English"),  # the switcher names each language in itself (name_local: British English)
    ("fr", "Français"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
# One date and number format everywhere, per language (ppp/formats/<lang>/formats.py; see ppp/formatting.py).
FORMAT_MODULE_PATH = ["ppp.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
# Project-wide static files (the admin's ppp/admin.css), beside the project-wide templates/.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Compressed files under content-hashed names, so browsers may cache them for ever: run `manage.py collectstatic
# --noinput` on every release, before the web process starts (a template naming a file that was not collected
# fails loudly). Local development overrides this with plain storage: no collectstatic needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")

LOGIN_URL = "admin:login"

# --- Email -----------------------------------------------------------------------------------
# Local development defaults to the console backend (ppp/settings/local.py).
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="ppp-tracker <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute base used in links inside emails and reports (no request is at hand in a task).
SITE_URL = env.str("PPP_SITE_URL", default="http://localhost:8000")

# --- Celery ----------------------------------------------------------------------------------
# Default: kombu's file-system transport under var/, so a worker and beat run with no server.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Exchange tables; kombu's default is ./control, which a worker would create in the repository.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
# Celery's Django fix-up closes every database connection before and after every task unless this is set: a
# new PostgreSQL connection (a server process forked, authentication, session set-up) for each webhook sent,
# two extra transactions and more CPU than the send itself. Set, it closes them every this many tasks;
# ppp/celery.py closes a broken or CONN_MAX_AGE-old one after any task, as Django does after a request.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged (acks_late) task goes back to the queue after this long. It must exceed the
    # longest retry countdown (ALERT_RETRY_BACKOFF_MAX) and ETA, or Redis would hand the same task
    # to a second worker while the first still waits for it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# --- Review rules ----------------------------------------------------------------------------
# Four eyes: a deliverable whose milestone pays at least this much (in the agreement's currency) is accepted
# only by two different officers; the first acceptance is recorded as a first approval.
try:
    PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD = Decimal(env.str("PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD", default="100000"))
except InvalidOperation as exc:
    raise ImproperlyConfigured("PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD must be an amount, e.g. 100000.") from exc
if not PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD.is_finite() or PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD < 0:
    raise ImproperlyConfigured("PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD must be an amount of 0 or more.")

# --- Overdue-milestone alerts ----------------------------------------------------------------
# Escalation ladder: a milestone reaches a level on the day it is ``days_overdue`` late, and each
# level writes to everyone of the levels below plus ``adds``. Audiences: "owner" (the project's
# owner), "vendor_contacts" (the responsible vendor's contacts with receives_alerts), "board" (the
# project's board members), "authority" (the contracting authority's contact_email).
_ALERT_DAYS = env.list("PPP_ALERT_ESCALATION_DAYS", cast=int, default=[1, 7, 30])
_ALERT_ADDS = [["owner", "vendor_contacts"], ["board"], ["authority"]]
ALERT_ESCALATION_LEVELS = [
    {"level": number, "days_overdue": days, "adds": _ALERT_ADDS[min(number, len(_ALERT_ADDS)) - 1]}
    for number, days in enumerate(_ALERT_DAYS, start=1)
]
# "Due soon": an open milestone due within this many days (today included). One definition for the board's
# amber, the admin index and the reminder (alert level 0) to the vendor's contacts. PPP_ALERT_DUE_SOON_DAYS is
# the deprecated name of the same setting, read only when PPP_DUE_SOON_DAYS is not set.
DUE_SOON_DAYS = env.int("PPP_DUE_SOON_DAYS", default=env.int("PPP_ALERT_DUE_SOON_DAYS", default=14))
ALERT_DUE_SOON_DAYS = DUE_SOON_DAYS  # deprecated alias, for code written against the old name
# When the daily scan runs (HH:MM in TIME_ZONE), how many milestones it reads per query.
ALERT_SCAN_TIME = env.str("PPP_ALERT_SCAN_TIME", default="07:00")
ALERT_SCAN_CHUNK_SIZE = env.int("PPP_ALERT_SCAN_CHUNK_SIZE", default=2000)
# A failed send is retried up to this many times, waiting 30 s, 60 s, ... up to the cap (seconds).
ALERT_SEND_MAX_RETRIES = env.int("PPP_ALERT_SEND_MAX_RETRIES", default=6)
ALERT_RETRY_BACKOFF_MAX = 600

try:
    _scan_hour, _scan_minute = (int(part) for part in ALERT_SCAN_TIME.split(":"))
except ValueError as exc:
    raise ImproperlyConfigured(f"PPP_ALERT_SCAN_TIME must be HH:MM, e.g. 07:00, not {ALERT_SCAN_TIME!r}.") from exc
CELERY_BEAT_SCHEDULE = {
    "overdue-milestone-alerts": {
        "task": "projects.tasks.scan_overdue_milestones",
        "schedule": crontab(hour=_scan_hour, minute=_scan_minute),
    },
}

# --- Client addresses ------------------------------------------------------------------------
# Reverse proxies in front of the app that append the address they saw to X-Forwarded-For. 0 (the default)
# trusts no header: the client is REMOTE_ADDR. With N, the client is the N-th address from the right.
# The login throttle and the lockouts read the address the same way (ppp.logins.client_address).
PPP_NUM_PROXIES = env.int("PPP_NUM_PROXIES", default=0)
if PPP_NUM_PROXIES < 0:
    raise ImproperlyConfigured("PPP_NUM_PROXIES must be 0 or more.")

# --- REST API (partner API under /api/v1/, see api/) ------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Vendors' systems: hashed, expiring, revocable tokens (refused once the vendor is suspended).
        "api.authentication.VendorTokenAuthentication",
        # Officers already logged in to the admin.
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every endpoint requires an authenticated caller with a role; only login and the docs open up.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.PartnerAccess"],
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, skipping the filterset when the request names none of its filters.
        "api.filters.FilterBackend",
        # An unknown ?ordering= is a 400 naming the allowed fields (DRF's own ignores it).
        "api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    # JSON with a nesting limit: a deeply nested body is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    # JSONRenderer's output, written by orjson: a 100-row page renders in ~0.4 ms instead of ~1.8 ms.
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.ORJSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.PartnerAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Per token (per user for session callers). Generous for integrations, a brake on runaway scripts.
        "token": env.str("PPP_API_RATE", default="1200/hour"),
        # Password attempts on /api/v1/auth/login/, per client address.
        "login": env.str("PPP_API_LOGIN_RATE", default="10/minute"),
    },
    # Never None: DRF would then take a client-sent X-Forwarded-For as the address.
    "NUM_PROXIES": PPP_NUM_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# --- Logins (admin and POST /api/v1/auth/login/) ---------------------------------------------
# django-axes: after AXES_FAILURE_LIMIT failed passwords for one username (from any address), or from one
# address (for any usernames), that username or address is refused, even with the right password, until
# AXES_COOLOFF_TIME has passed since its latest failure. Failures while locked out count, so a running
# attack stays locked out. Officers reset lockouts in the admin or with `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = env.int("PPP_LOGIN_FAILURE_LIMIT", default=5)
_LOGIN_COOLOFF_MINUTES = env.int("PPP_LOGIN_COOLOFF_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or _LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("PPP_LOGIN_FAILURE_LIMIT and PPP_LOGIN_COOLOFF_MINUTES must be 1 or more.")
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own, not the pair
# Records in the database: officers see and delete them in the admin, and the axes_reset* commands work.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# A successful login does not wipe failures: an attacker with one account must not reset an address's count.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "ppp.logins.client_address"
AXES_LOCKOUT_CALLABLE = "ppp.logins.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Successful logins are not logged by axes: the API login would open a throw-away session to do so.
AXES_DISABLE_ACCESS_LOG = True

# Throttle counters live in the cache: use a shared one (redis://…) when running several web processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

REST_KNOX = {
    # Vendors' integrations get tokens that expire; officers revoke them earlier in the admin.
    "TOKEN_TTL": datetime.timedelta(days=env.int("PPP_API_TOKEN_TTL_DAYS", default=30)),
    "TOKEN_LIMIT_PER_USER": env.int("PPP_API_TOKENS_PER_USER", default=10),
    "AUTO_REFRESH": False,
}

# Evidence files vendors upload through the API.
PPP_EVIDENCE_MAX_BYTES = env.int("PPP_EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
# Share of each milestone payment held back until the retention is released (a percentage, e.g. 5 or 2.5).
PPP_RETENTION_PERCENT = env.str("PPP_RETENTION_PERCENT", default="5")

SPECTACULAR_SETTINGS = {
    "TITLE": "ppp-tracker partner API",
    "DESCRIPTION": (
        "Vendors read their agreements, projects, milestones and deliverables, report progress and submit "
        "deliverables for review. Authenticate with `Authorization: Token <token>` (POST /api/v1/auth/login/ "
        "or ask your procurement officer). Detail responses carry an `ETag`; send it back as `If-Match` on "
        "writes to be told (412) when someone changed the deliverable in the meantime."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.close_request_bodies"],
    "ENUM_NAME_OVERRIDES": {
        "DeliverableStatusEnum": "projects.models.Deliverable.Status",
        "MilestoneStatusEnum": "projects.models.Milestone.Status",
        "AgreementStatusEnum": "procurement.models.Agreement.Status",
        "VendorStatusEnum": "procurement.models.Vendor.Status",
        "PhaseEnum": "projects.models.Project.Phase",  # a project's phase and a gate decision's from / to
    },
}

# --- Security (HTTPS-only cookies, HSTS and the HTTPS redirect are in production.py) -----------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- Open data (OCDS for PPPs) ------------------------------------------------------------------
# The prefix registered with the Open Contracting Partnership; every ocid is "<prefix>-<agreement reference>".
OCDS_OCID_PREFIX = env.str("OCDS_OCID_PREFIX", default="ocds-ppptrk")
OCDS_PUBLISHER_NAME = env.str("OCDS_PUBLISHER_NAME", default="ppp-tracker")
OCDS_PUBLISHER_URI = env.str("OCDS_PUBLISHER_URI", default=SITE_URL)
OCDS_LICENSE = env.str("OCDS_LICENSE", default="https://creativecommons.org/licenses/by/4.0/")
OCDS_PUBLICATION_POLICY = env.str("OCDS_PUBLICATION_POLICY", default="")
# The official schemas are fetched from their ids on first use and cached here...
OCDS_SCHEMA_CACHE_DIR = env.path("OCDS_SCHEMA_CACHE_DIR", default=VAR_DIR / "ocds-schema")
# ...unless a directory holding release-package-schema.json and release-schema.json is named.
OCDS_SCHEMA_DIR = env.str("OCDS_SCHEMA_DIR", default="") or None
# The record package schema is OCDS core's (the profile publishes none): a folder holding OCDS 1.1.5's
# record-package-schema.json, or fetched from its id and cached like the others.
OCDS_CORE_SCHEMA_DIR = env.str("OCDS_CORE_SCHEMA_DIR", default="") or None
# Parties' identifier.scheme: an org-id.guide list code per vendor country (the company register), e.g.
# OCDS_VENDOR_IDENTIFIER_SCHEMES=GB=GB-COH,DE=DE-CR; vendors from other countries, and the authorities, use
# the local schemes below (documented in the README: the registration number / authority code in this system).
OCDS_VENDOR_IDENTIFIER_SCHEMES = env.dict("OCDS_VENDOR_IDENTIFIER_SCHEMES", default={"GB": "GB-COH"})
OCDS_LOCAL_IDENTIFIER_SCHEME = env.str("OCDS_LOCAL_IDENTIFIER_SCHEME", default="XX-PPPTRK-VENDOR")
OCDS_AUTHORITY_IDENTIFIER_SCHEME = env.str("OCDS_AUTHORITY_IDENTIFIER_SCHEME", default="XX-PPPTRK-AUTHORITY")
# ISO 3166-1 alpha-2 country of the contracting authorities (their address.countryName); empty leaves it out.
OCDS_AUTHORITY_COUNTRY = env.str("OCDS_AUTHORITY_COUNTRY", default="")
# Releases of changed agreements are recorded this often (Celery beat) and before every export.
OCDS_RECORD_EVERY_MINUTES = env.int("OCDS_RECORD_EVERY_MINUTES", default=15)
CELERY_BEAT_SCHEDULE["record-ocds-releases"] = {
    "task": "opendata.tasks.record_releases",
    "schedule": OCDS_RECORD_EVERY_MINUTES * 60,
}
# Releases per page of the public feed (GET /api/v1/ocds/feed/).
OCDS_FEED_PAGE_SIZE = env.int("OCDS_FEED_PAGE_SIZE", default=100)

# --- Webhooks (vendors' endpoints; see README "Webhooks") ---------------------------------------
# Attempts per delivery before it is marked failed (a vendor or officer may still redeliver it).
PPP_WEBHOOK_MAX_ATTEMPTS = env.int("PPP_WEBHOOK_MAX_ATTEMPTS", default=8)
# Retry n waits a random time between half and all of min(base * 2**(n-1), max) seconds.
PPP_WEBHOOK_RETRY_BASE_SECONDS = env.int("PPP_WEBHOOK_RETRY_BASE_SECONDS", default=30)
PPP_WEBHOOK_RETRY_MAX_SECONDS = env.int("PPP_WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
# Connect and read timeout of one attempt (seconds).
PPP_WEBHOOK_TIMEOUT_SECONDS = env.int("PPP_WEBHOOK_TIMEOUT_SECONDS", default=10)
# The sweep (beat) re-queues due retries and abandoned attempts this often, at most this many per run...
PPP_WEBHOOK_SWEEP_SECONDS = env.int("PPP_WEBHOOK_SWEEP_SECONDS", default=30)
PPP_WEBHOOK_SWEEP_BATCH = env.int("PPP_WEBHOOK_SWEEP_BATCH", default=1000)
# ...and new deliveries whose queued send has not run after this long (the broker lost it).
PPP_WEBHOOK_STALE_SECONDS = env.int("PPP_WEBHOOK_STALE_SECONDS", default=120)
# A CA bundle (PEM file) to verify receivers' certificates with instead of the system's (tests, private CAs).
PPP_WEBHOOK_CA_BUNDLE = env.str("PPP_WEBHOOK_CA_BUNDLE", default="")
# Tests and local development only: allow endpoints on private, loopback and link-local addresses.
PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)
# Contract tests only (.ci/schemathesis): look no host name up and send nothing.
PPP_WEBHOOK_OFFLINE = env.bool("PPP_WEBHOOK_OFFLINE", default=False)
if PPP_WEBHOOK_MAX_ATTEMPTS < 1 or PPP_WEBHOOK_TIMEOUT_SECONDS < 1 or PPP_WEBHOOK_RETRY_BASE_SECONDS < 1:
    raise ImproperlyConfigured("PPP_WEBHOOK_MAX_ATTEMPTS, _TIMEOUT_SECONDS and _RETRY_BASE_SECONDS must be 1 or more.")
CELERY_BEAT_SCHEDULE["sweep-webhook-deliveries"] = {
    "task": "webhooks.tasks.sweep_deliveries",
    "schedule": PPP_WEBHOOK_SWEEP_SECONDS,
    # A sweep that waited a whole period in the queue is dropped: the worker is behind, so rows 'stale' by age
    # may simply wait their turn in that queue, and queueing them again only lengthens it. The sweep after the
    # backlog drains recovers what was really lost.
    "options": {"expires": PPP_WEBHOOK_SWEEP_SECONDS},
}
