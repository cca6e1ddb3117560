"""The API's documentation pages work on an air-gapped network (issue 11 #5): /docs and
/redoc load their scripts, styles and icons from the node itself, never from a CDN."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cruce import Node
from cruce.api import create_app

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|openapi_url|spec-url)\s*[:=]\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_a_documentation_page_loads_only_same_origin_assets(tmp_path: Path, page: str) -> None:
    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    with TestClient(create_app(node, every=None)) as client:
        html = client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        urls = {a or b for a, b in ASSET.findall(html.text)}
        scripts = [u for u in urls if u.endswith(".js")]
        assert scripts, html.text
        assert not re.search(r"https?://|//cdn|fonts\.googleapis", html.text), html.text
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), url
            assert client.get(url).status_code == 200, url
    node.close()
