"""All settings, read from the environment. Anything unsafe for production fails fast or warns loudly."""

import os
import sys
import warnings
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/sonnim
VAR_DIR = Path(os.environ.get("SONNIM_VAR_DIR", Path.cwd() / "var")).resolve()

DEV_SECRET = "sonnim-development-secret-do-not-use-in-production"
SECRET_KEY = os.environ.get("SONNIM_SECRET_KEY", DEV_SECRET)
# Customer contact data is encrypted with keys derived from this secret (core/crypto.py).
ENCRYPTION_SECRET = os.environ.get("SONNIM_ENCRYPTION_SECRET", SECRET_KEY)
USING_DEV_SECRET = SECRET_KEY == DEV_SECRET
DEBUG = os.environ.get("SONNIM_DEBUG", "0") == "1"
DEMO = os.environ.get("SONNIM_DEMO", "0") == "1"  # `sonnim demo` sets it: the sample shop page /demo/shop/
ALLOWED_HOSTS = os.environ.get("SONNIM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SONNIM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
PUBLIC_URL = os.environ.get("SONNIM_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

if USING_DEV_SECRET and "pytest" not in sys.modules:
    warnings.warn(
        "SONNIM_SECRET_KEY is not set: using the demo's development secret. "
        "Never run a real shop like this: set SONNIM_SECRET_KEY to a long random value.",
        stacklevel=1,
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_tasks_db",
    "sonnim.core",
    "sonnim.customers",
    "sonnim.inboxes",
    "sonnim.conversations",
    "sonnim.commerce",
    "sonnim.automation",
    "sonnim.assist",
    "sonnim.knowledge",
    "sonnim.sla",
    "sonnim.outreach",
    "sonnim.webchat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sonnim.core.asgi.StaticFilesMiddleware",  # WhiteNoise, async-capable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sonnim.urls"
ASGI_APPLICATION = "sonnim.asgi.application"
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
                "django.template.context_processors.i18n",
            ],
        },
    }
]


def database_config(url: str | None) -> dict:
    """SQLite under var/ by default (WAL, immediate transactions so writers queue instead of failing)."""
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'sonnim.sqlite3'}"
    # Keep connections between requests (PostgreSQL's connect and SQLite's PRAGMAs cost more than a small
    # request); a health check replaces a connection the server dropped.
    max_age = int(os.environ.get("SONNIM_DB_CONN_MAX_AGE", "60"))
    config = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=max_age > 0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "sonnim.core.sqlite"  # Django's, with an in-process queue for writers
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_PREFIX = os.environ.get("SONNIM_REDIS_PREFIX", "sonnim")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels-redis blocks 5 s per read (BZPOPMIN) and redis-py 8 times reads out after 5 s by
            # default, which killed every idle websocket; give reads room above the blocking time.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": f"{REDIS_PREFIX}:asgi",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project-wide static/sonnim/ (CSS, JS modules) outside any app
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(
    parents=True, exist_ok=True
)  # whitenoise serves app static from finders; this only silences it
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("SONNIM_MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Outbound delivery: attempts and exponential backoff (seconds * 2**attempt).
# The worker's periodic sweeps (stuck deliveries, SLA, rules, auto-close, retraining). Tests that run a
# server beside their own database resets turn them off: "0".
WORKER_SWEEPS = os.environ.get("SONNIM_WORKER_SWEEPS", "1") != "0"
DELIVERY_MAX_ATTEMPTS = int(os.environ.get("SONNIM_DELIVERY_MAX_ATTEMPTS", "5"))
DELIVERY_BACKOFF_SECONDS = float(os.environ.get("SONNIM_DELIVERY_BACKOFF_SECONDS", "5"))
DELIVERY_TIMEOUT_SECONDS = float(os.environ.get("SONNIM_DELIVERY_TIMEOUT_SECONDS", "10"))
EMAIL_POLL_SECONDS = float(os.environ.get("SONNIM_EMAIL_POLL_SECONDS", "60"))  # the worker polls IMAP inboxes
# the worker retrains category models from agents' corrections this often (only workspaces with new ones)
ASSIST_RETRAIN_SECONDS = float(os.environ.get("SONNIM_ASSIST_RETRAIN_SECONDS", "86400"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("SONNIM_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
INBOUND_BATCH_MAX = 1000
# Rule webhooks refuse loopback/private/link-local/metadata addresses (SSRF) unless this is "1".
RULE_WEBHOOK_ALLOW_PRIVATE = os.environ.get("SONNIM_RULE_WEBHOOK_ALLOW_PRIVATE", "") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "sonnim": {"handlers": ["console"], "level": os.environ.get("SONNIM_LOG_LEVEL", "INFO")},
        "django_tasks_db": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
