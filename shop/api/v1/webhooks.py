from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from shop.partners import selectors, services
from shop.webhooks.events import EVENT_TYPES

from ..base import PartnerView, get_or_404
from ..idempotency import idempotent
from ..representations import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)


class NewEndpointSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="A public https URL.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=20
    )


class EndpointList(PartnerView):
    serializer_class = WebhookEndpointSerializer

    @extend_schema(
        operation_id="webhook_endpoints_list", responses=WebhookEndpointSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.webhook_endpoints(request.user))

    @extend_schema(
        request=NewEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        description=(
            "Each delivery is POSTed with `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 "
            'of "<t>.<raw body>" with the secret>`; the secret is shown only here. '
            "Delivery is at least once: de-duplicate by the event `id`."
        ),
    )
    @idempotent
    def post(self, request: Request) -> Response:
        payload = NewEndpointSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(partner=request.user, **payload.validated_data)
        body = WebhookEndpointCreatedSerializer(endpoint).data
        return Response(body, status=status.HTTP_201_CREATED)


class EndpointDetail(PartnerView):
    serializer_class = WebhookEndpointSerializer

    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = get_or_404(selectors.webhook_endpoints(request.user), "whe", endpoint_id)
        return Response(self.get_serializer(endpoint).data)

    def delete(self, request: Request, endpoint_id: str) -> Response:
        endpoint = get_or_404(selectors.webhook_endpoints(request.user), "whe", endpoint_id)
        services.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryList(PartnerView):
    serializer_class = WebhookDeliverySerializer

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = get_or_404(selectors.webhook_endpoints(request.user), "whe", endpoint_id)
        return self.paginated(selectors.webhook_deliveries(endpoint))
