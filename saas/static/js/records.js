/* records: CRM records screens. No inline scripts anywhere (the CSP forbids them). */
