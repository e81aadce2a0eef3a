import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings.production")
# A web process: its database connections get the web statement timeout (settings/base.py).
os.environ.setdefault("SAAS_PROCESS_ROLE", "web")
application = get_wsgi_application()
# What is loaded by now (Django, the apps, every library: ~200,000 objects) lives as long as
# the process. Frozen, it is left out of the collector's full passes, each of which would
# otherwise stall a request by ~80 ms (measured with bench/crm_pages.py).
gc.freeze()
