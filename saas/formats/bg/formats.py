"""Bulgarian formats Django's locale leaves out. Everything else comes from Django's `bg`.

Django's `bg` has no SHORT_DATETIME_FORMAT, so `|date:"SHORT_DATETIME_FORMAT"` fell back to
the American `m/d/Y P` ("12/08/2026 12:52 преди обяд")."""

SHORT_DATETIME_FORMAT = "d.m.Y H:i"

# Django's `bg` leaves NUMBER_GROUPING at 0, so `|floatformat:"2g"` (the board's and the
# dashboard's sums) wrote 12500,50: group by three with Django's no-break space.
NUMBER_GROUPING = 3
