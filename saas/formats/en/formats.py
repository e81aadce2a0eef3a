"""English with European short dates: the CRM's pages already write a timeline's times as
08.12.2026 00:52 in both languages, and Django's American `m/d/Y` made the other short dates
(the merge page, the security pages, the dashboard's quarter) read 12/08/2026 or 10/01/2026,
which a European reader takes for another day. Everything else comes from Django's `en`."""

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
