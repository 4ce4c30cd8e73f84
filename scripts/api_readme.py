"""Rewrite the README's list of API operations from the OpenAPI document."""

import re
from pathlib import Path

from lhpn import create_app
from lhpn.api.contract import document, operations_table

BEGIN, END = "<!-- api-operations: begin -->", "<!-- api-operations: end -->"


def main() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "readme"})
    with app.test_request_context():
        table = operations_table(document())
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{table}\n{END}"
    readme.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: block, text,
                             flags=re.S), encoding="utf-8")


if __name__ == "__main__":
    main()
