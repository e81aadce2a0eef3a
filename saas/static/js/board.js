/* board: CRM board screens. No inline scripts anywhere (the CSP forbids them). */
