"""The partner API's model serializers build their fields from the model once per class;
each serializer still gets fields of its own."""

from shop.api.representations import GiftDetailSerializer, GiftSerializer


def test_each_serializer_gets_its_own_bound_fields() -> None:
    one, other = GiftSerializer(), GiftSerializer()
    assert one.fields["units_claimed"] is not other.fields["units_claimed"]
    assert one.fields["units_claimed"].parent is one
    assert other.fields["units_claimed"].parent is other


def test_a_subclass_keeps_its_own_fields() -> None:
    GiftSerializer().fields  # noqa: B018 - the parent's fields built first
    assert "timeline" in GiftDetailSerializer().fields
    assert "timeline" not in GiftSerializer().fields


def test_a_model_field_is_derived_once_per_class(monkeypatch) -> None:
    GiftSerializer().fields  # noqa: B018 - built
    built = []
    monkeypatch.setattr(
        GiftSerializer, "build_field", lambda *a, **k: built.append(a) or (None, {})
    )
    assert "units_claimed" in GiftSerializer().fields
    assert built == []
