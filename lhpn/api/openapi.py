"""The API's OpenAPI 3.1 document, served as written by lhpn/api/contract.py from the
declarations of every endpoint (tests/test_api.py checks that every route is documented and
every documented route exists, and validates real answers against the schemas)."""

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict

from lhpn.api import bp, contract
from lhpn.api.contract import endpoint


class OpenAPIDocument(BaseModel):
    """The OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")


@bp.get("/openapi.json")
@endpoint("Tài liệu này (OpenAPI 3.1).", ok={200: OpenAPIDocument}, public=True)
def openapi_document() -> Response:
    return jsonify(contract.document())
