import pytest

from .drivers import DRIVERS


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest, settings):
    """The suite runs once per adapter, that adapter the shop's default gateway."""
    settings.PAYMENT_GATEWAY = request.param
    return DRIVERS[request.param](request)
