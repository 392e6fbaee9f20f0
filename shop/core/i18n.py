from django.utils.translation import get_language


def pick_language(zh: str, en: str) -> str:
    """For content in both languages: the English text on English pages, when there is one."""
    if en and (get_language() or "").startswith("en"):
        return en
    return zh
