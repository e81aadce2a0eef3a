"""The CRM list screens' logic, independent of HTTP: which columns and filters each list has
(`columns`, `filters`, `entities`), how a query string becomes a queryset and a page
(`query`, `keyset`), and the CSV export (`export`). The web layer is
`tenant_apps/crm/web/lists/`."""
