"""Settings for the storefront, read from the environment (12-factor).

One module for every environment: what differs between a laptop and production is
an environment variable, documented in `.env.example`. A `.env` file beside
`manage.py` (or at ENV_FILE) is read if present; real environment variables win over it.
"""

import ipaddress
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE and VAR_DIR (relative to BASE_DIR unless absolute) move the .env and the local
# state (SQLite database, file broker, beat schedule, media, static) elsewhere, so a second
# stack, such as the system tests' `make run`, never touches a developer's own.
ENV_FILE = BASE_DIR / env.str("ENV_FILE", default=".env")
if ENV_FILE.is_file():
    env.read_env(ENV_FILE, overwrite=False)
VAR_DIR = BASE_DIR / env.str("VAR_DIR", default="var")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-only"
# Old keys still accepted while a new SECRET_KEY rolls out (deploy/cluster/README.md).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:{}".format(env.int("PORT", default=8000)))
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin's theme (shop/core/admin_theme.py); it must come before the admin itself.
    "unfold.apps.BasicAppConfig",  # not its default config, which swaps in its own admin site
    "shop.core.admin_apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "shop.core",
    "shop.accounts",
    "shop.catalogue",
    "shop.cart",
    "shop.payments",
    "shop.orders",
    "shop.sandbox",
    "merchants",
    "gifting",
    "shop.webhooks",
    "shop.notices",
    "shop.partners",
    "shop.api",
    "shop.discovery",
    "shop.privacy",
    "shop.demo",
]

MIDDLEWARE = [
    "shop.core.client.TrustedProxyMiddleware",
    "shop.core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "shop.core.middleware.AdminThemeCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.core.middleware.DatabaseUnavailableMiddleware",
    "shop.core.middleware.ReplicaFallbackMiddleware",
    "shop.core.middleware.ReadYourWritesMiddleware",
]
# Off by default: adds X-Query-Count to every response, for `make bench` (see tests/perf).
if env.bool("QUERY_COUNT_HEADER", default=False):
    MIDDLEWARE.insert(2, "shop.core.middleware.QueryCountMiddleware")

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.core.context_processors.site",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------
# Zero configuration runs on SQLite; DATABASE_URL=postgres://… switches to PostgreSQL,
# which the test suite and production always use.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# An optional read replica: catalogue reads go there (shop/core/db_router.py).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _db in DATABASES.values():
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # A database that is down must fail a request (and /readyz) quickly, not hang it.
        _db.setdefault("OPTIONS", {})["connect_timeout"] = env.int(
            "DATABASE_CONNECT_TIMEOUT", default=3
        )
        # Statements a connection has run twice are prepared on the server, planned once
        # and reused: planning cost a product page's queries more than running them. This
        # needs parameters bound on the server, and, behind PgBouncer, version 1.21 or
        # newer with max_prepared_statements set (or DATABASE_PREPARED_STATEMENTS=0).
        if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
            _db["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASE_ROUTERS = ["shop.core.db_router.CatalogueReplicaRouter"]
# Read-your-writes: after a write request, the shopper's reads go to the primary this long
# (a bound on the replica's lag); an unreachable replica is retried after this long.
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=10)
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Unset: files in VAR_DIR/cache, shared by web, worker and beat like the embedded broker,
# so what one process caches or drops (a takedown, a recompute landing, an import's
# progress, login failure counts) the others see; in-process memory would keep one copy
# a process.
CACHES = {
    "default": env.cache("CACHE_URL")
    if env.str("CACHE_URL", default="")
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "shop.core.cache.RedisCache"  # one client per pool
    # A cache that stops answering must not hang requests: fail fast, render without it.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    )
# Template parts that depend only on the language, on whether someone is logged in and on
# the URL map (the site's header and footer, the claim page's empty address form), cached
# with `{% cache ... using="process" %}`: each process renders them once, since nothing
# they show changes while it runs.
CACHES["process"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "process",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 1_000},
}
# Anonymous storefront pages (home, listing, product) are served from the cache for this
# many seconds: a price or stock change shows within it. 0 turns the page cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=1)

# --- Gifting -----------------------------------------------------------------------------
# A gift's unit price limit (WeChat's rule).
GIFT_MAX_UNIT_PRICE = Decimal(env.str("GIFT_MAX_UNIT_PRICE", default="10000.00"))
# How long the recipient has to accept, counted from payment.
GIFT_ACCEPT_WINDOW_SECONDS = env.int("GIFT_ACCEPT_WINDOW_SECONDS", default=24 * 60 * 60)
# How often beat sweeps for expired gifts: a gift is never live longer past its deadline.
GIFT_EXPIRY_SWEEP_SECONDS = env.int("GIFT_EXPIRY_SWEEP_SECONDS", default=60)
# The sender is reminded (once) this long before the deadline.
GIFT_REMINDER_BEFORE_SECONDS = env.int("GIFT_REMINDER_BEFORE_SECONDS", default=2 * 60 * 60)
# Key for share-link tokens (see gifting/tokens.py); changing it invalidates live links.
GIFT_TOKEN_KEY = env.str("GIFT_TOKEN_KEY", default=f"gift-token:{SECRET_KEY}")
# Wrong gift links a client may try per window before it gets 429.
GIFT_CLAIM_MISS_LIMIT = env.int("GIFT_CLAIM_MISS_LIMIT", default=20)
GIFT_CLAIM_MISS_WINDOW_SECONDS = 600
# Changes before shipping (gifting/changes.py): a recipient's variant change the merchant
# has not answered in this long is rejected; an address change is approved. At most this
# many address changes per order; beat looks for unanswered requests this often.
GIFT_VARIANT_CHANGE_ANSWER_SECONDS = env.int(
    "GIFT_VARIANT_CHANGE_ANSWER_SECONDS", default=24 * 60 * 60
)
GIFT_ADDRESS_CHANGE_ANSWER_SECONDS = env.int(
    "GIFT_ADDRESS_CHANGE_ANSWER_SECONDS", default=12 * 60 * 60
)
GIFT_ADDRESS_CHANGE_LIMIT = env.int("GIFT_ADDRESS_CHANGE_LIMIT", default=5)
GIFT_CHANGE_SWEEP_SECONDS = env.int("GIFT_CHANGE_SWEEP_SECONDS", default=60)

# Chip-in gifts (一起送): friends have this long to pay for the whole gift, or everyone
# is refunded; each share is at least CHIPIN_MIN_SHARE (but the last one, whatever is left).
CHIPIN_FUNDING_WINDOW_SECONDS = env.int("CHIPIN_FUNDING_WINDOW_SECONDS", default=24 * 60 * 60)
CHIPIN_MIN_SHARE = Decimal(env.str("CHIPIN_MIN_SHARE", default="10.00"))
# A share not paid within this time gives its amount back for others to take.
CHIPIN_SHARE_HOLD_SECONDS = env.int("CHIPIN_SHARE_HOLD_SECONDS", default=15 * 60)

# --- Gift discovery ----------------------------------------------------------------------
# How often beat recomputes the gift chart, rising brands and gift suggestions.
DISCOVERY_RECOMPUTE_SECONDS = env.int("DISCOVERY_RECOMPUTE_SECONDS", default=15 * 60)
# Accepted gifts a merchant needs this week to be on the rising-brands chart.
DISCOVERY_RISING_MIN_ACCEPTED = env.int("DISCOVERY_RISING_MIN_ACCEPTED", default=10)

# --- Celery ------------------------------------------------------------------------------
# The default broker is kombu's filesystem transport: no server to run for `make run`.
# Point CELERY_BROKER_URL at redis:// or amqp:// for anything beyond one machine.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A broker that accepts the connection but never answers must not hang a request:
    # every socket operation gives up after a second (the worker's BRPOP polls within it).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
        # A worker given several queues takes from them in TASK_QUEUES order.
        "queue_order_strategy": "priority",
    }
elif CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ: a publish returns once the broker has the message (publisher confirms);
    # queues are durable classic ones and messages persistent, Celery's defaults (why not
    # quorum queues: deploy/cluster/README.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
elif CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's own filesystem transport lets a worker read a message half-written.
    CELERY_BROKER_TRANSPORT = "shop.core.broker:Transport"
    _broker_dir = VAR_DIR / "celery-broker"
    for _folder in (_broker_dir, VAR_DIR / "celery-processed", VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        # Exchange tables; kombu's default is ./control, in whatever directory it runs.
        "control_folder": str(VAR_DIR / "celery-control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by kind of work, so each can have workers of its own (a burst of webhooks to a slow
# partner never holds up refunds). A worker given several takes from them in this order
# (queue_order_strategy above): money first, then the sweeps, partners, emails.
TASK_QUEUES = ["refunds", "celery", "webhooks", "emails"]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = (
    [
        ("shop.payments.tasks.refund*", {"queue": "refunds"}),
        ("shop.partners.tasks.*", {"queue": "webhooks"}),
        ("*webhook*", {"queue": "webhooks"}),
        ("shop.sandbox.tasks.deliver_notification*", {"queue": "webhooks"}),
        ("*.send_*", {"queue": "emails"}),
    ],
)
# Django's LOGGING (JSON, with the request id) applies to workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Publishing must never hang a web request when the broker is down: try briefly, then give
# up (shop.core.tasks.publish logs it) and let the sweeps that own the rows catch up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A refund still pending this long is re-queued by the stuck-refund sweep.
REFUND_RESUME_AFTER_SECONDS = env.int("REFUND_RESUME_AFTER_SECONDS", default=60)
# Periodic jobs isolate an item they cannot process (shop.core.jobs): it is retried after
# JOB_RETRY_BASE_SECONDS, doubling up to JOB_RETRY_MAX_SECONDS, and parked for operators
# ("needs attention" in the admin, counted by /readyz) after JOB_MAX_ATTEMPTS failures.
JOB_RETRY_BASE_SECONDS = env.int("JOB_RETRY_BASE_SECONDS", default=60)
JOB_RETRY_MAX_SECONDS = env.int("JOB_RETRY_MAX_SECONDS", default=3600)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=5)
# A refund the provider has not answered this many requests for is parked the same way.
REFUND_MAX_ATTEMPTS = env.int("REFUND_MAX_ATTEMPTS", default=20)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
WEBHOOK_SWEEP_SECONDS = env.int("WEBHOOK_SWEEP_SECONDS", default=10)
NOTICE_SWEEP_SECONDS = env.int("NOTICE_SWEEP_SECONDS", default=30)
# --- Personal data (PIPL) --------------------------------------------------------------
# Recipients' and shipping addresses are masked this long after delivery (or the end of an
# undelivered order); address views are deleted after their own, longer retention.
PRIVACY_RETENTION_DAYS = env.int("PRIVACY_RETENTION_DAYS", default=90)
ADDRESS_LOG_RETENTION_DAYS = env.int("ADDRESS_LOG_RETENTION_DAYS", default=3 * 365)
PRIVACY_PURGE_SWEEP_SECONDS = env.int("PRIVACY_PURGE_SWEEP_SECONDS", default=60 * 60)

CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "shop.accounts.tasks.clear_expired_sessions",
        "schedule": 60 * 60 * 6,
    },
    "cancel-unpaid-orders": {
        "task": "shop.orders.tasks.cancel_unpaid_orders_task",
        "schedule": 60,
    },
    "resume-stuck-refunds": {
        "task": "shop.payments.tasks.refunds_resume_stuck",
        "schedule": 60,
    },
    "expire-gifts": {
        "task": "gifting.tasks.expire_due_gifts_task",
        "schedule": GIFT_EXPIRY_SWEEP_SECONDS,
    },
    "answer-due-gift-changes": {
        "task": "gifting.tasks.resolve_due_changes_task",
        "schedule": GIFT_CHANGE_SWEEP_SECONDS,
    },
    "remind-gift-senders": {
        "task": "gifting.tasks.remind_senders_task",
        "schedule": 300,
    },
    "close-chip-ins": {
        "task": "gifting.tasks.chip_ins_sweep_task",
        "schedule": GIFT_EXPIRY_SWEEP_SECONDS,
    },
    "abandon-unpaid-gifts": {
        "task": "gifting.tasks.abandon_unpaid_gifts_task",
        "schedule": 60,
    },
    "recompute-gift-charts": {
        "task": "shop.discovery.tasks.recompute_charts_task",
        "schedule": DISCOVERY_RECOMPUTE_SECONDS,
    },
    "sandbox-redeliver-notifications": {
        "task": "shop.sandbox.tasks.redeliver_notifications",
        "schedule": 30,
    },
    "deliver-due-webhooks": {
        "task": "shop.partners.tasks.webhooks_deliver_due",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
    "purge-personal-data": {
        "task": "shop.privacy.tasks.purge_personal_data_task",
        "schedule": PRIVACY_PURGE_SWEEP_SECONDS,
    },
    "send-due-notices": {
        "task": "shop.notices.tasks.notices_send_due_task",
        "schedule": NOTICE_SWEEP_SECONDS,
    },
    "prune-idempotency-keys": {
        "task": "shop.partners.tasks.idempotency_records_prune",
        "schedule": 60 * 60,
    },
}

# --- Accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "catalogue:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Argon2id for new and upgraded passwords; older hashes still verify and are upgraded.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Failed logins in LOGIN_FAILURE_WINDOW_SECONDS before 429: for one email from one client
# address, and from one address over all emails (shop/accounts/login_throttle.py).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=100)
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
# Operators (staff) with a confirmed TOTP device must enter its code to use the admin.
OTP_TOTP_ISSUER = "Gift Shop"

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="礼物商城 Gift Shop <noreply@giftshop.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where shoppers write when something is stuck (e.g. a payment that never showed up).
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="help@giftshop.local")

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    # Object storage (AWS S3 or any S3-compatible service: MinIO, Aliyun OSS, Tencent COS),
    # so every web node and worker sees the same uploads. Credentials come from the
    # environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) as boto3 reads them.
    _media = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            # Signed, expiring URLs unless the bucket (or its CDN) is public.
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
elif MEDIA_STORAGE == "filesystem":
    _media = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("MEDIA_STORAGE is 'filesystem' or 's3'.")
STORAGES = {
    "default": _media,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads larger than this spill to a temporary file, so memory stays bounded; each file
# is at most 10 MB (merchants.uploads) and an image at most UPLOAD_MAX_PIXELS pixels (25
# megapixels: a 6000 × 4000 camera photo), checked from its header before it is decoded.
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=25_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
# Merchants' import files (products and stock, tracking numbers: merchants.imports).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=2_097_152)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)

# --- Security ----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The load balancers or proxies in front, as IPs or networks (e.g. 10.0.0.0/8): only their
# X-Forwarded-For and X-Forwarded-Proto are believed (shop/core/client.py). Empty: none,
# the socket's address is the client's.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_error}") from None
# Believed only from TRUSTED_PROXIES: TrustedProxyMiddleware drops it from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Load balancers probe over plain HTTP: never redirect them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Product photos from object storage or a CDN: add its origin here.
        "img-src": ["'self'", "data:", *env.list("CSP_IMG_SRC", default=[])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *env.list("CSP_FORM_ACTION", default=[])],
    }
}

# --- REST framework ----------------------------------------------------------------------
# The partner API (/api/v1/): bearer keys, problem+json errors, cursor pages.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": ["shop.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["shop.api.authentication.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["shop.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "shop.api.pagination.Cursor",
    "EXCEPTION_HANDLER": "shop.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gift Shop partner API",
    "DESCRIPTION": (
        "For merchants' systems, service providers and brands running gift campaigns. "
        "Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457 "
        "problem details (`application/problem+json`). Money is "
        '`{"value": "199.00", "currency": "CNY"}`; ids are opaque strings; lists are '
        '`{"results": [...], "next": url or null}`. Every POST accepts an '
        "`Idempotency-Key` header (kept 24 hours). A gift's recipient (name, phone, "
        "address) appears only on `GET /orders/{id}/`, for partners managing the merchant, "
        "to ship; each read is logged."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shop.api.schema.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProductStatusEnum": "shop.catalogue.models.Product.Status",
        "OrderStatusEnum": "shop.orders.models.Order.Status",
        "ApplicationStatusEnum": "merchants.models.MerchantApplication.Status",
        "DeliveryStatusEnum": "shop.partners.models.WebhookDelivery.Status",
        "ChangeRequestStatusEnum": "shop.orders.models.ChangeRequest.Status",
        "ChangeRequestKindEnum": "shop.orders.models.ChangeRequest.Kind",
    },
}
# Requests per API key (e.g. "600/min", "20/s"); 429 with Retry-After beyond it.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
# Webhooks: retried from WEBHOOK_RETRY_BASE_SECONDS, doubling, for 24 hours. Public https
# URLs only, unless WEBHOOK_ALLOW_INSECURE (development and tests: http and loopback).
WEBHOOK_ALLOW_INSECURE = env.bool("WEBHOOK_ALLOW_INSECURE", default=False)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)

# --- Logging -----------------------------------------------------------------------------
# One JSON object a line (for a log shipper) unless LOG_FORMAT=plain; every record carries
# the request id of the web request it serves, or that published the task it runs in.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shop.core.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Error reporting, only when a DSN is set (Sentry or a compatible service such as GlitchTip).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        # Frames' local variables are reported: never the payment providers' keys.
        event_scrubber=EventScrubber(
            denylist=[*DEFAULT_DENYLIST, "apiv3_key", "app_secret", "key_bytes", "private_key_str"]
        ),
    )

# --- Payments ----------------------------------------------------------------------------
# The provider adapters by name (see shop/payments/gateway.py). The sandbox is built in.
PAYMENT_ADAPTERS = {
    "sandbox": "shop.payments.gateways.sandbox.SandboxGateway",
    "wechatpay": "shop.payments.gateways.wechatpay.WeChatPayGateway",
    "alipay": "shop.payments.gateways.alipay.AlipayGateway",
}
# The default adapter: a name above, or the dotted path of another adapter class.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
# Further adapters the shopper may choose on the pay step (names), beside the default.
PAYMENT_METHODS = env.list("PAYMENT_METHODS", default=[])
# WeChat Pay API v3 (direct merchant). Keys are read from files; see the README.
WECHATPAY_MCHID = env.str("WECHATPAY_MCHID", default="")
WECHATPAY_APPID = env.str("WECHATPAY_APPID", default="")
# The official account's AppSecret, for the snsapi_base OAuth step (JSAPI's openid).
WECHATPAY_APP_SECRET = env.str("WECHATPAY_APP_SECRET", default="")
WECHATPAY_CERT_SERIAL_NO = env.str("WECHATPAY_CERT_SERIAL_NO", default="")
WECHATPAY_PRIVATE_KEY_PATH = env.str("WECHATPAY_PRIVATE_KEY_PATH", default="")
WECHATPAY_APIV3_KEY = env.str("WECHATPAY_APIV3_KEY", default="")
# The platform certificate and/or the platform public key with its id: both may be set
# while WeChat Pay moves a merchant from one to the other (Wechatpay-Serial picks).
WECHATPAY_PLATFORM_CERT_PATH = env.str("WECHATPAY_PLATFORM_CERT_PATH", default="")
WECHATPAY_PUBLIC_KEY_PATH = env.str("WECHATPAY_PUBLIC_KEY_PATH", default="")
WECHATPAY_PUBLIC_KEY_ID = env.str("WECHATPAY_PUBLIC_KEY_ID", default="")
# Where the API, and the OAuth pages and API, are: the emulator's URL for local use.
WECHATPAY_API_BASE = env.str("WECHATPAY_API_BASE", default="https://api.mch.weixin.qq.com")
WECHATPAY_OAUTH_BASE = env.str("WECHATPAY_OAUTH_BASE", default="https://open.weixin.qq.com")
WECHATPAY_SNS_BASE = env.str("WECHATPAY_SNS_BASE", default="https://api.weixin.qq.com")
WECHATPAY_TIMEOUT_SECONDS = env.float("WECHATPAY_TIMEOUT_SECONDS", default=10.0)
# The pay step answers a posted form with a redirect to WeChat Pay's H5 page (wx.tenpay.com,
# or the emulator's), which the Content-Security-Policy's form-action must allow.
if "wechatpay" in [PAYMENT_GATEWAY, *PAYMENT_METHODS]:
    _api = urlsplit(WECHATPAY_API_BASE)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += [
        "https://wx.tenpay.com",
        f"{_api.scheme}://{_api.netloc}",
    ]
# Alipay (open platform, RSA2 keys in files; see the README).
ALIPAY_APP_ID = env.str("ALIPAY_APP_ID", default="")
ALIPAY_PRIVATE_KEY_PATH = env.str("ALIPAY_PRIVATE_KEY_PATH", default="")  # the app's private key
ALIPAY_PUBLIC_KEY_PATH = env.str("ALIPAY_PUBLIC_KEY_PATH", default="")  # Alipay's public key
ALIPAY_SANDBOX = env.bool("ALIPAY_SANDBOX", default=False)
# Overrides the gateway address (production or sandbox): the emulator's for local use.
ALIPAY_GATEWAY_URL = env.str("ALIPAY_GATEWAY_URL", default="")
ALIPAY_TIMEOUT_SECONDS = env.float("ALIPAY_TIMEOUT_SECONDS", default=15.0)
# The pay step redirects a posted form to Alipay's cashier, which form-action must allow.
if "alipay" in [PAYMENT_GATEWAY, *PAYMENT_METHODS]:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += [
        "https://openapi.alipay.com",
        "https://openapi-sandbox.dl.alipaydev.com",
        *(
            [f"{urlsplit(ALIPAY_GATEWAY_URL).scheme}://{urlsplit(ALIPAY_GATEWAY_URL).netloc}"]
            if ALIPAY_GATEWAY_URL
            else []
        ),
    ]
# In-house gateways, by name: a partner's gifts are paid from its prepaid balance.
PAYMENT_GATEWAYS = {"balance": "shop.partners.gateway.BalanceGateway"}
# The secret the sandbox signs its notifications with (HMAC-SHA256).
SANDBOX_SECRET = env.str("SANDBOX_SECRET", default=f"sandbox:{SECRET_KEY}")
# The page a shopper comes back to from the provider refreshes itself until the payment
# notification arrives, for at most this long; then it says it is still waiting and stops.
PAYMENT_RETURN_WAIT_SECONDS = 60

# --- Shop --------------------------------------------------------------------------------
CATALOGUE_PAGE_SIZE = 24
# Unpaid orders are cancelled (and their stock released) after this long.
ORDER_PAYMENT_TIMEOUT_SECONDS = env.int("ORDER_PAYMENT_TIMEOUT_SECONDS", default=30 * 60)

CART_MAX_LINE_QUANTITY = env.int("CART_MAX_LINE_QUANTITY", default=99)

# --- Notices (shop.notices) --------------------------------------------------------------
# Emails go through Django's mail (EMAIL_URL); text messages through SMS_BACKEND: the console
# (default: printed), or Alibaba Cloud SMS with the ALIBABA_SMS_* settings below.
SMS_BACKEND = env.str("SMS_BACKEND", default="shop.notices.backends.console.ConsoleSmsBackend")
ALIBABA_SMS_ACCESS_KEY_ID = env.str("ALIBABA_SMS_ACCESS_KEY_ID", default="")
ALIBABA_SMS_ACCESS_KEY_SECRET = env.str("ALIBABA_SMS_ACCESS_KEY_SECRET", default="")
ALIBABA_SMS_SIGN_NAME = env.str("ALIBABA_SMS_SIGN_NAME", default="")
# kind=template code, comma separated; kind.en=… for another language's template.
ALIBABA_SMS_TEMPLATES = env.dict("ALIBABA_SMS_TEMPLATES", default={})
ALIBABA_SMS_ENDPOINT = env.str("ALIBABA_SMS_ENDPOINT", default="dysmsapi.aliyuncs.com")
ALIBABA_SMS_PROTOCOL = env.str("ALIBABA_SMS_PROTOCOL", default="https")
ALIBABA_SMS_TIMEOUT_SECONDS = env.int("ALIBABA_SMS_TIMEOUT_SECONDS", default=10)
# A failed try is retried after NOTICE_RETRY_BASE_SECONDS, doubling (at most an hour), and
# parked for operators after NOTICE_MAX_ATTEMPTS tries (beat: NOTICE_SWEEP_SECONDS).
NOTICE_RETRY_BASE_SECONDS = env.int("NOTICE_RETRY_BASE_SECONDS", default=60)
NOTICE_MAX_ATTEMPTS = env.int("NOTICE_MAX_ATTEMPTS", default=5)

# --- The admin's theme (django-unfold; shop/core/admin_theme.py) ---------------------------
UNFOLD = {
    "SITE_HEADER": "merchants.admin_branding.site_header",
    "SITE_TITLE": "merchants.admin_branding.site_title",
    "SITE_SYMBOL": "storefront",
    "SITE_ICON": "merchants.admin_branding.site_icon",
    "SITE_URL": "/",
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "merchants.views.admin_index_context",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": "merchants.admin_navigation.show_all_applications",
        "navigation": "merchants.admin_navigation.navigation",
    },
    # Colours as a static file, never an inline <style> (the CSP): shop/core/admin_site.py.
    "STYLES": [
        "shop.core.admin_site.theme_stylesheet",
        "shop.core.admin_site.shop_stylesheet",
    ],
}
