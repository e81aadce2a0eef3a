"""Failed sign-ins: slow down guessing without letting anyone lock a person out.

Two counters per account, both global (the default cache alias, no company prefix), so they
hold on every host:

- per (account, client IP): LOGIN_PAIR_LIMIT failures within LOGIN_PAIR_WINDOW seconds of the
  first lock that pair until the window ends. Someone guessing from one address is stopped;
  the owner of the account, on another address, is not.
- per account, from any address: LOGIN_ACCOUNT_LIMIT failures within LOGIN_ACCOUNT_WINDOW
  lock the account everywhere for LOGIN_ACCOUNT_LOCK_SECONDS, doubled at each further lock
  within a day, up to LOGIN_ACCOUNT_LOCK_MAX_SECONDS. This stops a botnet spread over many
  addresses; a locked-out person still signs in through a one-time link sent by email
  (login_link.py) or SSO.

allauth's own per-IP limit (ACCOUNT_RATE_LIMITS "login_failed", across accounts) stays.
An attempt is counted before the password is checked (parallel guesses cannot slip past the
limit) and given back when the password was right. Without the cache nothing can be counted:
the cache error reaches CacheUnavailableMiddleware (503), so sign-in fails closed.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

STRIKES_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Refusal:
    """Why and until when (Unix time) an attempt is refused."""

    scope: str  # "pair" or "account"
    retry_at: float


@dataclass(frozen=True)
class Attempt:
    """Counters one attempt used; give them back with attempt_succeeded()."""

    pair_key: str
    account_key: str | None


def _account(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]


def _generation(account: str) -> int:
    # Bumped by lockout_clear(): every (account, IP) counter of the account is forgotten
    # at once, without knowing the addresses.
    return int(cache.get(f"login:gen:{account}") or 0)


def _hit(key: str, window: int) -> tuple[int, float]:
    """Count one attempt in a window that starts at the first one; (count, window end)."""
    now = time.time()
    cache.add(f"{key}:since", now, window)
    cache.add(key, 0, window)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.add(key, 0, window)
        count = int(cache.incr(key))
    since = float(cache.get(f"{key}:since") or now)
    return count, since + window


def _give_back(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ended meanwhile
        cache.decr(key)


def attempt_begin(*, login: str, ip: str) -> Attempt | Refusal:
    """Count a sign-in attempt for `login` from `ip`, or refuse it."""
    account = _account(login)
    lock_until = cache.get(f"login:lock:{account}")
    now = time.time()
    if lock_until is not None and float(lock_until) > now:
        return Refusal(scope="account", retry_at=float(lock_until))
    pair_key = f"login:pair:{account}:{_generation(account)}:{ip}"
    count, window_end = _hit(pair_key, settings.LOGIN_PAIR_WINDOW)
    if count > settings.LOGIN_PAIR_LIMIT:
        return Refusal(scope="pair", retry_at=window_end)
    account_key = f"login:account:{account}"
    count, _ = _hit(account_key, settings.LOGIN_ACCOUNT_WINDOW)
    if count > settings.LOGIN_ACCOUNT_LIMIT:
        return Refusal(scope="account", retry_at=_lock(account))
    return Attempt(pair_key=pair_key, account_key=account_key)


def _lock(account: str) -> float:
    """Lock the account everywhere, longer at each lock within a day; the lock's end."""
    strikes, _ = _hit(f"login:strikes:{account}", STRIKES_SECONDS)
    seconds = min(
        settings.LOGIN_ACCOUNT_LOCK_SECONDS * 2 ** (strikes - 1),
        settings.LOGIN_ACCOUNT_LOCK_MAX_SECONDS,
    )
    until = time.time() + seconds
    cache.set(f"login:lock:{account}", until, int(seconds) + 1)
    # The next lock needs as many new failures again.
    cache.delete_many([f"login:account:{account}", f"login:account:{account}:since"])
    return until


def attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: this attempt does not count."""
    _give_back(attempt.pair_key)
    if attempt.account_key is not None:
        _give_back(attempt.account_key)


def lockout_clear(*, login: str) -> None:
    """After a password reset: the account starts with clean counters and no lock."""
    account = _account(login)
    cache.set(f"login:gen:{account}", _generation(account) + 1, STRIKES_SECONDS)
    cache.delete_many(
        [
            f"login:lock:{account}",
            f"login:account:{account}",
            f"login:account:{account}:since",
            f"login:strikes:{account}",
        ]
    )
