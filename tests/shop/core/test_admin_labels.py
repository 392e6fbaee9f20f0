"""Every admin page reads in words, in both languages: no raw field names ("description_en",
"gift_claim") in labels, column headings or filter titles.

Walks every registered admin class's list and add pages as an operator, in zh-hans and
en, and looks at the text a person reads (tags, scripts and attribute values removed).
"""

import re
from html import unescape

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

RAW_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# A Chinese filter titled by an untranslated name: "以 gift_claim", "以 status".
RAW_FILTER = re.compile(r"以 [A-Za-z_]+")
# The theme's icons are ligatures of the icon font ("inventory_2"), not words.
ICON = re.compile(r"<span[^>]*material-symbols[^>]*>[^<]*</span>")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    html = ICON.sub(" ", html)
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(text)


def _pages() -> list[str]:
    urls = []
    for model in admin.site._registry:
        opts = model._meta
        for view in ("changelist", "add"):
            try:
                urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}"))
            except NoReverseMatch:
                continue
    return sorted(urls)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_admin_page_shows_a_raw_field_name(language: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    claim = ProductFactory(title="最好的茶", description_en="The best tea, number one")
    change = reverse("admin:catalogue_product_change", args=[claim.pk])
    problems = []
    for url in [reverse("admin:index"), change, *_pages()]:
        response = client.get(url)
        if response.status_code != 200:
            continue  # add pages of read-only ledgers answer 403
        text = _visible_text(response.content.decode())
        found = set(RAW_NAME.findall(text)) | set(RAW_FILTER.findall(text))
        if found:
            problems.append(f"{url}: {sorted(found)}")
    assert not problems, "\n".join(problems)


def test_the_themes_own_menus_read_in_chinese() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    text = _visible_text(client.get(reverse("admin:index")).content.decode())
    assert "全部应用" in text and "All applications" not in text
    assert "待发货订单" in text and "Orders to ship" not in text
