/* lists: CRM lists screens. No inline scripts anywhere (the CSP forbids them). */
