"""Demo CRM data for a company: word lists (`names`), a seeded row generator (`generate`) and
a fast loader (`load`). Run through `manage.py seed_demo`."""
