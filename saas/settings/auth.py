"""Sign-in, sign-up, SSO, MFA and sessions (django-allauth)."""

from __future__ import annotations

from typing import Any

from saas.env import env

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ACCOUNT_ADAPTER = "shared_apps.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "shared_apps.accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "shared_apps.accounts.adapters.MFAAdapter"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Adds "Your name" to the sign-up forms and remembers the sign-up language.
ACCOUNT_SIGNUP_FORM_CLASS = "shared_apps.accounts.signup.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False  # a reset never signs in, so it never skips MFA
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Failed sign-ins (shared_apps/accounts/lockout.py; README "Sign-in security"). Counters live
# in the global cache, so they hold on every host; without the cache sign-in fails closed.
# - per client IP, any account: 10 a minute (allauth's "login_failed" rate below);
# - per (account, IP): LOGIN_ATTEMPTS_LIMIT failures in LOGIN_ATTEMPTS_TIMEOUT seconds lock
#   that pair until the window ends (the person on another address is not affected);
# - per account, any IP: LOGIN_ACCOUNT_ATTEMPTS_LIMIT failures in LOGIN_ACCOUNT_ATTEMPTS_WINDOW
#   seconds lock the account everywhere for LOGIN_ACCOUNT_LOCK_SECONDS, doubled at each new
#   lock within a day, at most LOGIN_ACCOUNT_LOCK_MAX_SECONDS. A locked-out person signs in
#   with a one-time link by email (LOGIN_LINK_*) or SSO.
LOGIN_PAIR_LIMIT = LOGIN_ATTEMPTS_LIMIT = env.int("LOGIN_ATTEMPTS_LIMIT", default=5)
LOGIN_PAIR_WINDOW = LOGIN_ATTEMPTS_TIMEOUT = env.int("LOGIN_ATTEMPTS_TIMEOUT", default=300)
LOGIN_ACCOUNT_LIMIT = env.int("LOGIN_ACCOUNT_ATTEMPTS_LIMIT", default=20)
LOGIN_ACCOUNT_WINDOW = env.int("LOGIN_ACCOUNT_ATTEMPTS_WINDOW", default=900)
LOGIN_ACCOUNT_LOCK_SECONDS = env.int("LOGIN_ACCOUNT_LOCK_SECONDS", default=60)
LOGIN_ACCOUNT_LOCK_MAX_SECONDS = env.int("LOGIN_ACCOUNT_LOCK_MAX_SECONDS", default=900)
# One-time sign-in links by email: valid this long, at most this many asked per hour.
LOGIN_LINK_TTL_SECONDS = env.int("LOGIN_LINK_TTL_SECONDS", default=900)
LOGIN_LINK_PER_EMAIL_PER_HOUR = env.int("LOGIN_LINK_PER_EMAIL_PER_HOUR", default=3)
LOGIN_LINK_PER_IP_PER_HOUR = env.int("LOGIN_LINK_PER_IP_PER_HOUR", default=20)
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,3/10m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Behind N proxies the client IP is the Nth address from the right of X-Forwarded-For;
# with 0 (no proxy) the header is ignored, since anyone can send it.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# SSO: never attach an SSO identity to an existing account just because emails match.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False


def _sso_providers() -> dict[str, Any]:
    """Only providers whose credentials are configured are enabled (and shown)."""
    providers: dict[str, Any] = {}
    for name, prefix in (("google", "GOOGLE"), ("microsoft", "MICROSOFT"), ("github", "GITHUB")):
        client_id = env.str(f"{prefix}_CLIENT_ID", default="")
        if client_id:
            providers[name] = {
                "APPS": [{"client_id": client_id, "secret": env.str(f"{prefix}_CLIENT_SECRET")}],
                "OAUTH_PKCE_ENABLED": True,
                "SCOPE": ["user:email"] if name == "github" else ["openid", "email", "profile"],
            }
    if env.str("OIDC_CLIENT_ID", default=""):
        providers["openid_connect"] = {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": env.str("OIDC_PROVIDER_ID", default="oidc"),
                    "name": env.str("OIDC_NAME", default="OpenID Connect"),
                    "client_id": env.str("OIDC_CLIENT_ID"),
                    "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                    "settings": {
                        "server_url": env.str("OIDC_SERVER_URL"),
                        "oauth_pkce_enabled": True,
                    },
                }
            ],
        }
    return providers


SOCIALACCOUNT_PROVIDERS = _sso_providers()

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="CRM")
MFA_RECOVERY_CODE_COUNT = 10
# http://localhost is not a secure origin; only development and tests may allow it.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False

USERSESSIONS_TRACK_ACTIVITY = True
# ...but recorded at most every this many seconds (shared_apps/accounts/session_activity.py).
SESSION_ACTIVITY_INTERVAL = 300
# Ending other sessions records a "sessions_ended" security event.
USERSESSIONS_ADAPTER = "shared_apps.accounts.adapters.UserSessionsAdapter"
# A session lives SESSION_COOKIE_AGE (base.py, 12 h by default) from sign-in, whether or not
# the browser is closed; allauth's "remember me" is always on (ACCOUNT_SESSION_REMEMBER).
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# Fernet keys for secrets at rest (TOTP seeds), newest first; see shared_apps/accounts/crypto.py.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# Invitations to join a company expire after this many days.
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
# Tell people by email when their password or two-factor settings change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# scheme://host[:port] of the public site for every link in pages and emails; production
# sets it. Unset: the origin a request came in on, and for emails without a request
# https://BASE_DOMAIN (development: http://BASE_DOMAIN:PORT). See shared_apps/tenants/origins.py.
PUBLIC_ORIGIN = env.str("PUBLIC_ORIGIN", default="")
