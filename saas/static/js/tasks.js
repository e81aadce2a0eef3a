/* tasks: CRM tasks screens. No inline scripts anywhere (the CSP forbids them). */
