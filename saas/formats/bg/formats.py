"""Bulgarian formats Django's locale leaves out. Django's `bg` has no SHORT_DATETIME_FORMAT,
so `|date:"SHORT_DATETIME_FORMAT"` fell back to the American `m/d/Y P` ("12/08/2026 12:52
преди обяд"). Everything else comes from Django's `bg` formats."""

SHORT_DATETIME_FORMAT = "d.m.Y H:i"
