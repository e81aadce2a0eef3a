"""Emails to owners and admins on billing state moves (filled in next)."""
