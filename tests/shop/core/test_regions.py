"""The region picker's list (shop/core/static/shop/regions.json, made by `make regions`)
agrees with the province choices the address form validates against."""

import json
from pathlib import Path

from shop.core.regions import PROVINCES

REGIONS = Path(__file__).resolve().parents[3] / "shop/core/static/shop/regions.json"


def provinces() -> dict[str, dict[str, list[str]]]:
    return json.loads(REGIONS.read_text(encoding="utf-8"))["provinces"]


def test_the_picker_lists_exactly_the_forms_provinces_in_the_same_order() -> None:
    assert list(provinces()) == [name for name, _ in PROVINCES]


def test_every_city_in_the_list_has_districts_to_choose_from() -> None:
    empty = [(p, c) for p, cities in provinces().items() for c, ds in cities.items() if not ds]
    assert empty == []


def test_the_list_holds_the_national_cities_and_districts() -> None:
    regions = provinces()
    assert "西湖区" in regions["浙江省"]["杭州市"]
    assert "海淀区" in regions["北京市"]["北京市"]
    assert sum(len(cities) for cities in regions.values()) > 300


def test_the_list_says_where_it_came_from() -> None:
    assert json.loads(REGIONS.read_text(encoding="utf-8"))["source"].startswith("@vant/area-data")
