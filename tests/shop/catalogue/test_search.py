import io

import pytest
from django.core.management import call_command

from shop.catalogue import search, selectors
from shop.catalogue.models import Product
from shop.discovery.models import ChartRun, ProductGiftStats
from tests.factories import CategoryFactory, MerchantFactory
from tests.search import ensure_default_synonyms, indexed, titles


@pytest.fixture
def default_synonyms(db: None) -> None:
    ensure_default_synonyms()


def test_document_terms_keep_characters_and_pairs_and_add_jieba_words() -> None:
    assert search.document_terms("帆布包 Bags") == "帆 布 包 帆布 布包 帆布包 bags"


def test_names_are_also_indexed_by_full_pinyin_and_initials() -> None:
    terms = search.text_terms("咖啡礼盒", pinyin=True)
    assert {"kafei", "kf", "lihe", "kafeilihe", "kflh"} <= set(terms)


def test_a_chinese_query_matches_by_pairs_or_jieba_words_or_pinyin() -> None:
    assert search.query_groups("双肩包", {}) == [
        [["双肩", "肩包"], ["双肩", "双肩包"], ["shuangjianbao"]]
    ]


def test_characters_that_form_no_word_are_not_matched_one_by_one() -> None:
    assert search.query_groups("豆咖", {}) == [[["豆咖"], ["douka"]]]


def test_query_terms_keep_only_letters_digits_and_chinese() -> None:
    assert search.query_groups("  <script>  ", {}) == [[["script"]]]
    assert search.query_groups("!!!", {}) == []


def test_a_misspelt_word_may_be_any_of_its_corrections() -> None:
    assert search.query_groups("cofee", {"cofee": ["coffee"]}) == [[["cofee"], ["coffee"]]]


def test_trigram_similarity_matches_pg_trgm() -> None:
    assert search.similarity("moug", "mug") == pytest.approx(2 / 7)
    assert search.similarity("cofee", "coffee") == pytest.approx(5 / 8)


def test_a_hypernym_rule_indexes_narrower_texts_under_the_broader_word() -> None:
    rules = search.expansions(term="杯子", alternatives="马克杯，茶杯", symmetric=False)
    assert "杯子" in search.expanded_terms("手工陶瓷马克杯", rules)
    assert "杯子" not in search.expanded_terms("帆布托特包", rules)


def test_a_synonym_rule_works_both_ways_across_languages() -> None:
    rules = search.expansions(term="耳机", alternatives="headphones", symmetric=True)
    assert "headphones" in search.expanded_terms("蓝牙耳机", rules)
    assert "耳机" in search.expanded_terms("Over-Ear Headphone", rules)


@pytest.mark.django_db
def test_english_search_matches_plural_titles() -> None:
    indexed(title="帆布托特包", title_en="Canvas Tote Bags")
    indexed(title="挂耳咖啡", title_en="Drip Coffee")
    assert titles("bag") == {"帆布托特包"}


@pytest.mark.django_db
def test_chinese_search_finds_the_word_inside_a_longer_title() -> None:
    indexed(title="山野咖啡豆礼盒", title_en="Coffee Beans Gift Box")
    indexed(title="龙井茶", title_en="Longjing Tea")
    assert titles("咖啡") == {"山野咖啡豆礼盒"}
    assert titles("咖啡豆") == {"山野咖啡豆礼盒"}
    assert titles("豆咖") == set()


@pytest.mark.django_db
def test_pinyin_and_initials_find_chinese_titles() -> None:
    indexed(title="挂耳咖啡", title_en="Drip bag")
    indexed(title="龙井茶", title_en="Longjing")
    assert titles("kafei") == {"挂耳咖啡"}
    assert titles("kf") == {"挂耳咖啡"}


@pytest.mark.django_db
def test_shop_names_are_found_by_pinyin() -> None:
    indexed(title="礼盒", title_en="Box", merchant=MerchantFactory(name="山野咖啡", name_en=""))
    assert titles("shanye") == {"礼盒"}


@pytest.mark.django_db
def test_misspelt_english_words_find_what_was_meant() -> None:
    indexed(title="挂耳咖啡", title_en="Drip Coffee")
    indexed(title="马克杯", title_en="Ceramic Mug")
    assert titles("cofee") == {"挂耳咖啡"}
    assert titles("moug") == {"马克杯"}


@pytest.mark.django_db
def test_a_misspelt_words_corrections_are_reused_without_a_query(
    django_assert_num_queries,
) -> None:
    indexed(title="挂耳咖啡", title_en="Drip Coffee")
    assert selectors.search_corrections("cofee") == {"cofee": ["coffee"]}
    with django_assert_num_queries(0):
        assert selectors.search_corrections("cofee") == {"cofee": ["coffee"]}


@pytest.mark.django_db
def test_everyday_words_find_products_through_the_shipped_rules(default_synonyms) -> None:
    indexed(title="手工陶瓷马克杯", title_en="Mug")
    indexed(title="通勤双肩包", title_en="Commuter")
    assert titles("杯子") == {"手工陶瓷马克杯"}
    assert titles("背包") == {"通勤双肩包"}


@pytest.mark.django_db
def test_search_also_matches_the_description() -> None:
    indexed(title="礼盒", title_en="Gift box", description="内含手冲咖啡三款")
    assert titles("手冲") == {"礼盒"}


@pytest.mark.django_db
def test_title_matches_rank_above_category_and_category_above_description() -> None:
    in_body = indexed(title="礼盒", title_en="Box", description_en="with a small bag inside")
    in_category = indexed(title="盒", title_en="Case", category=CategoryFactory(name_en="Bags"))
    in_title = indexed(title="包", title_en="Leather bag")
    ranked = list(selectors.product_listing(query="bag"))
    assert ranked == [in_title, in_category, in_body]


@pytest.mark.django_db
def test_sold_out_products_come_after_giftable_ones_in_stock() -> None:
    sold_out = indexed(title="包", title_en="Leather bag", stock=0)
    in_stock = indexed(title="礼盒", title_en="Box", description_en="with a bag inside")
    assert list(selectors.product_listing(query="bag")) == [in_stock, sold_out]


@pytest.mark.django_db
def test_products_recipients_accept_more_often_win_a_tie() -> None:
    often = indexed(title_en="Tote bag")
    rarely = indexed(title_en="Tote bag")  # newer: first on a tie without the statistics
    run = ChartRun.objects.create(computed_at="2026-01-01T00:00Z")
    for product, acceptance in ((rarely, 0.2), (often, 0.9)):
        ProductGiftStats.objects.create(
            run=run,
            product=product,
            sent_units=10,
            accepted_units=round(acceptance * 10),
            recent_units=1,
            acceptance=acceptance,
            score=acceptance,
        )
    assert list(selectors.product_listing(query="tote")) == [often, rarely]


@pytest.mark.django_db
def test_the_sqlite_path_matches_the_same_terms(monkeypatch) -> None:
    monkeypatch.setattr(search, "uses_full_text", lambda: False)
    indexed(title="挂耳咖啡", title_en="Drip Bags")
    indexed(title="龙井茶", title_en="Longjing Tea")
    assert titles("kafei") == {"挂耳咖啡"}
    assert titles("bag") == {"挂耳咖啡"}
    assert titles("咖啡") == {"挂耳咖啡"}
    assert titles("cofee") == set()  # no such word: not even a correction
    assert titles("longjng") == {"龙井茶"}


@pytest.mark.django_db
def test_the_sqlite_path_ranks_title_matches_first(monkeypatch) -> None:
    monkeypatch.setattr(search, "uses_full_text", lambda: False)
    in_title = indexed(title="包", title_en="Leather bag")
    in_body = indexed(title="盒", title_en="Box", description_en="with a bag inside")
    assert list(selectors.product_listing(query="bag")) == [in_title, in_body]


@pytest.mark.django_db
def test_a_query_with_only_punctuation_finds_nothing() -> None:
    indexed(title="包", title_en="Bag")
    assert titles("%%%") == set()


@pytest.mark.django_db
def test_reindex_search_rebuilds_every_products_index() -> None:
    indexed(title="马克杯", title_en="Mug")
    Product.objects.update(search_document="", search_title="", search_vector=None)
    out = io.StringIO()

    call_command("reindex_search", stdout=out)

    assert "Re-indexed 1 products" in out.getvalue()
    assert titles("mug") == {"马克杯"}
