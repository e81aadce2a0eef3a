/* settings: CRM settings screens. No inline scripts anywhere (the CSP forbids them). */
