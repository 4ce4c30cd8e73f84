"""The README's list of API operations is the document's: it cannot drift from the code."""

import re
from pathlib import Path

from lhpn.api.contract import operations_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_lists_exactly_the_documented_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- api-operations: begin -->\n(.*?)\n<!-- api-operations: end -->",
                      text, re.S)
    assert found, "README.md has no generated list of API operations"
    assert found.group(1) == operations_table(document), (
        "README's API operations differ from the document: run python scripts/api_readme.py")
