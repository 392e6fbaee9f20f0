from celery import signals
from django.apps import AppConfig
from django.conf import settings
from django.core.signals import request_finished
from PIL import Image

from . import request_id


class CoreConfig(AppConfig):
    name = "shop.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        signals.before_task_publish.connect(request_id.add_to_task_headers, weak=False)
        signals.task_prerun.connect(request_id.set_for_task, weak=False)
        signals.task_postrun.connect(request_id.clear, weak=False)
        request_finished.connect(request_id.clear, weak=False)
        # Pillow refuses to open images over twice this (and warns over it), wherever they
        # come from; uploads are refused over it with a message (merchants.uploads).
        Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
