"""Service providers open shops for merchants: the web form's fields and checks, over the API.

The web form (`merchants.forms.ApplicationForm`) validates, so both channels accept and
refuse exactly the same applications. Once approved, the new merchant is managed by the
partner that applied.
"""

from django.http import QueryDict
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from merchants import services as merchants
from merchants.forms import ApplicationForm
from shop.partners import selectors

from ..base import PartnerView, get_or_404
from ..fields import parse_id
from ..idempotency import idempotent
from ..problems import Invalid
from ..representations import ApplicationSerializer

QUALIFICATION = "qualification_"


class ApplicationUpload(serializers.Serializer):
    """multipart/form-data. For a category that requires a qualification, upload it as
    `qualification_<category id>`, e.g. `qualification_cat_12`."""

    legal_name = serializers.CharField(max_length=200)
    shop_name = serializers.CharField(max_length=100)
    uscc = serializers.CharField(help_text="Unified Social Credit Code, 18 characters.")
    contact_name = serializers.CharField(max_length=50)
    contact_phone = serializers.CharField(help_text="A mainland China mobile number.")
    email = serializers.EmailField(max_length=254)
    categories = serializers.ListField(child=serializers.CharField(), help_text="Category ids.")
    licence = serializers.FileField(help_text="Business licence: an image or PDF, ≤ 10 MB.")


def _form_input(request: Request) -> tuple[QueryDict, dict]:
    """The API's names (public ids) as the form's (primary keys)."""
    data = QueryDict(mutable=True)
    for key, values in request.data.lists() if hasattr(request.data, "lists") else []:
        if key == "categories":
            data.setlist(key, [str(parse_id("cat", v) or "x") for v in values])
        elif key not in request.FILES:
            data.setlist(key, values)
    files = {}
    for key, upload in request.FILES.items():
        if key.startswith(QUALIFICATION):
            pk = parse_id("cat", key.removeprefix(QUALIFICATION))
            key = f"{QUALIFICATION}{pk}" if pk is not None else key
        files[key] = upload
    return data, files


def _api_errors(form: ApplicationForm) -> dict:
    errors = {}
    for field, messages in form.errors.items():
        if field.startswith(QUALIFICATION):
            field = f"{QUALIFICATION}cat_{field.removeprefix(QUALIFICATION)}"
        errors[field] = list(messages)
    return errors


class ApplicationList(PartnerView):
    serializer_class = ApplicationSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="merchant_applications_list", responses=ApplicationSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.applications(request.user))

    @extend_schema(
        request={"multipart/form-data": ApplicationUpload},
        responses={201: ApplicationSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data, files = _form_input(request)
        form = ApplicationForm(data, files)
        if not form.is_valid():
            raise Invalid(_api_errors(form))
        application = merchants.application_submit(
            data=form.cleaned_data,
            categories=list(form.cleaned_data["categories"]),
            licence=form.cleaned_data["licence"],
            qualifications=form.qualifications(),
            partner=request.user,
        )
        application = selectors.applications(request.user).get(pk=application.pk)
        return Response(self.get_serializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetail(PartnerView):
    serializer_class = ApplicationSerializer

    def get(self, request: Request, application_id: str) -> Response:
        application = get_or_404(selectors.applications(request.user), "app", application_id)
        return Response(self.get_serializer(application).data)
