"""Tenancy is declared once, on the models: the admin, the staff group and the API follow it."""

import pytest
from django.contrib import admin

from merchants.admin_scoping import MerchantScopedAdmin, OperatorOnlyAdmin
from merchants.models import Merchant
from merchants.services import staff_group
from merchants.tenancy import MerchantOwned, merchant_owned_models, owned_by, tenancy
from shop.catalogue.models import Category, Sku, StockRecord
from tests.factories import SkuFactory

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_every_admin_is_merchant_scoped_or_operator_only(model, model_admin) -> None:
    if tenancy(model) is not None:
        assert isinstance(model_admin, MerchantScopedAdmin), (
            f"{model._meta.label} is merchant-owned: its admin must be a MerchantScopedAdmin"
        )
        assert not isinstance(model_admin, OperatorOnlyAdmin)
    else:
        assert isinstance(model_admin, OperatorOnlyAdmin), (
            f"{model._meta.label} declares no tenancy: its admin must be an OperatorOnlyAdmin "
            "(or the model must declare `tenancy = MerchantOwned(...)`)"
        )


@pytest.mark.parametrize("model", merchant_owned_models(), ids=lambda m: m._meta.label)
def test_each_declared_path_leads_to_the_merchant(model) -> None:
    path = tenancy(model).path
    reached = model
    if path != "pk":
        for name in path.split("__"):
            reached = reached._meta.get_field(name).related_model
    assert reached is Merchant


def test_the_merchant_owned_models_are_the_shops_own() -> None:
    owned = {model._meta.label for model in merchant_owned_models()}
    assert {"catalogue.Product", "catalogue.Sku", "orders.Order", "merchants.Merchant"} <= owned
    assert not owned & {"catalogue.Category", "payments.Payment", "gifting.Gift"}


def test_an_unknown_staff_action_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match=r"Unknown staff actions: \['publish'\]"):
        MerchantOwned("merchant", staff=("view", "publish"))


def test_a_platform_model_cannot_be_scoped_to_a_merchant() -> None:
    with pytest.raises(TypeError, match=r"catalogue\.Category declares no merchant tenancy"):
        owned_by(Category, [1])


@pytest.mark.django_db
def test_the_staff_group_holds_exactly_the_declared_actions() -> None:
    held = set(staff_group().permissions.values_list("content_type__app_label", "codename"))
    assert ("catalogue", "delete_sku") in held
    assert ("catalogue", "change_stockrecord") in held
    assert ("catalogue", "delete_stockrecord") not in held
    assert ("orders", "add_refundrequest") not in held
    owned = {model._meta.model_name for model in merchant_owned_models()}
    assert {codename.split("_", 1)[1] for _, codename in held} <= owned
    assert len(held) == sum(len(tenancy(model).staff) for model in merchant_owned_models())


@pytest.mark.django_db
def test_rows_are_found_through_the_declared_path() -> None:
    mine, _other = SkuFactory(), SkuFactory()
    merchant = mine.product.merchant
    assert list(Sku.objects.filter(owned_by(Sku, [merchant.pk]))) == [mine]
    assert list(StockRecord.objects.filter(owned_by(StockRecord, [merchant.pk]))) == [mine.stock]
    assert list(Merchant.objects.filter(owned_by(Merchant, [merchant.pk]))) == [merchant]
