import pytest

from shop.catalogue import search, selectors, services
from shop.catalogue.models import Product
from tests.factories import ProductFactory, SkuFactory


def _indexed(**kwargs: object) -> Product:
    product = ProductFactory(**kwargs)
    SkuFactory(product=product)
    services.product_search_index_refresh(
        products=Product.objects.select_related("category", "merchant").filter(pk=product.pk)
    )
    return product


def _titles(query: str) -> set[str]:
    return {p.title for p in selectors.product_listing(query=query)}


def test_document_terms_index_chinese_characters_and_pairs() -> None:
    assert search.document_terms("帆布包 Bags") == "帆 布 包 帆布 布包 bags"


def test_query_terms_use_pairs_for_chinese_and_the_lone_character_when_single() -> None:
    assert search.query_terms("帆布包") == ["帆布", "布包"]
    assert search.query_terms("包") == ["包"]
    assert search.query_terms("  <script>  ") == ["script"]
    assert search.query_terms("!!!") == []


@pytest.mark.django_db
def test_english_search_matches_plural_titles() -> None:
    _indexed(title="帆布托特包", title_en="Canvas Tote Bags")
    _indexed(title="挂耳咖啡", title_en="Drip Coffee")
    assert _titles("bag") == {"帆布托特包"}


@pytest.mark.django_db
def test_chinese_search_finds_the_word_inside_a_longer_title() -> None:
    _indexed(title="山野咖啡豆礼盒", title_en="Coffee Beans Gift Box")
    _indexed(title="龙井茶", title_en="Longjing Tea")
    assert _titles("咖啡") == {"山野咖啡豆礼盒"}
    assert _titles("咖啡豆") == {"山野咖啡豆礼盒"}
    assert _titles("豆咖") == set()


@pytest.mark.django_db
def test_search_also_matches_the_description() -> None:
    _indexed(title="礼盒", title_en="Gift box", description="内含手冲咖啡三款")
    assert _titles("手冲") == {"礼盒"}


@pytest.mark.django_db
def test_title_matches_rank_above_description_matches() -> None:
    in_body = _indexed(title="礼盒", title_en="Box", description_en="with a small bag inside")
    in_title = _indexed(title="包", title_en="Leather bag")
    ranked = list(selectors.product_listing(query="bag"))
    assert ranked == [in_title, in_body]


@pytest.mark.django_db
def test_a_query_with_only_punctuation_finds_nothing() -> None:
    _indexed(title="包", title_en="Bag")
    assert _titles("%%%") == set()
