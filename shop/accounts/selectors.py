from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Address, User


def address_list(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user)


def address_get(*, user: User, pk: int) -> Address:
    """Only the owner's addresses are reachable; anyone else's id is a 404."""
    return get_object_or_404(Address, user=user, pk=pk)
