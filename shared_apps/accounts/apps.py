from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shared_apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in as account_logged_in
        from django.contrib.auth.signals import user_logged_in

        from shared_apps.accounts import security_signals, signup
        from shared_apps.accounts.session_activity import remember_sign_in_activity
        from shared_apps.accounts.session_binding import remember_session_host
        from shared_apps.accounts.session_limit import remember_sign_in_time

        security_signals.connect()
        signup.connect()
        user_logged_in.connect(remember_sign_in_time, dispatch_uid="session-sign-in-time")
        user_logged_in.connect(remember_session_host, dispatch_uid="session-host")
        account_logged_in.connect(remember_sign_in_activity, dispatch_uid="session-activity")
