import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings.production")
# A web process: its database connections get the web statement timeout (settings/base.py).
os.environ.setdefault("SAAS_PROCESS_ROLE", "web")
application = get_asgi_application()
gc.freeze()  # see saas/wsgi.py
