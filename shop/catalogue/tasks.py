from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def products_reindex_for_words_task(words: list[str]) -> int:
    """After an operator changed a synonym rule: re-index the products it touches."""
    return services.products_reindex_for_words(words=words)
