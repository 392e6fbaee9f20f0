"""Bearer API keys. A key identifies its partner; only the key's SHA-256 is stored."""

from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from shop.partners import selectors


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: HttpRequest) -> tuple | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode(errors="replace").lower() != self.keyword.lower() or len(header) != 2:
            raise exceptions.AuthenticationFailed("Use `Authorization: Bearer <api key>`.")
        api_key = selectors.api_key_for(header[1].decode(errors="replace"))
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or was revoked.")
        return api_key.partner, api_key

    def authenticate_header(self, request: HttpRequest) -> str:
        return f'{self.keyword} realm="api"'


class HasApiKey(permissions.BasePermission):
    def has_permission(self, request: HttpRequest, view: object) -> bool:
        return request.auth is not None


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner API key, issued by an operator (shown once).",
        }
