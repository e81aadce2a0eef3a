/* search: CRM search screens. No inline scripts anywhere (the CSP forbids them). */
