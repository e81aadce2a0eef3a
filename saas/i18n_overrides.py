"""Bulgarian wording that differs from Django's and allauth's own catalogs.

Our catalog (locale/bg) is searched first, so an entry there replaces theirs. `make messages`
keeps only the strings it finds in our source: naming them here keeps the replacements in the
catalog. Month names: Django's Bulgarian capitalizes them ("22 Декември 2026"); Bulgarian
writes them in lower case. allauth's sign-up messages: "имейл" as everywhere else in the
product (not "e-mail"), and "Вашия" (not "Вашият") as the object.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

REPLACED = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
    gettext_noop(
        "You're receiving this email because user %(user_display)s has given your email "
        "address to register an account on %(site_domain)s."
    ),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop("Confirmation email sent to %(email)s."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("Verify Your Email Address"),
)
