import os

from django.core.wsgi import get_wsgi_application

from shop.catalogue.search import warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
application = get_wsgi_application()
warm_up()  # search's dictionaries, before gunicorn forks its workers
