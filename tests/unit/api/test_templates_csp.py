"""Every dashboard template obeys the pages' Content-Security-Policy (``UI_CSP``: our own
stylesheet, no script, no inline anything) by construction, not only on the pages a test
happens to render: no ``style`` attribute or ``<style>`` block, no inline script or event
handler attribute, no ``javascript:`` URL. A browser would silently drop any of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import edigateway.api
from edigateway.api.middleware import document_csp

TEMPLATES = Path(edigateway.api.__file__).parent / "templates"
FORBIDDEN = {
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "inline script": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def _templates() -> list[Path]:
    found = sorted(TEMPLATES.glob("*.html"))
    assert len(found) > 20, "the templates folder moved"
    return found


@pytest.mark.parametrize("template", _templates(), ids=lambda p: p.name)
def test_no_template_has_inline_style_or_script(template: Path):
    text = template.read_text(encoding="utf-8")
    broken = [
        f"{what} at line {text.count(chr(10), 0, match.start()) + 1}"
        for what, pattern in FORBIDDEN.items()
        for match in pattern.finditer(text)
    ]
    assert broken == [], f"{template.name}: {broken}"


def test_the_checks_find_what_they_look_for():
    sample = (
        '<p style="color:red" onclick="x()"><style>p{}</style><script>1</script>'
        '<a href="javascript:x()">'
    )
    assert all(pattern.search(sample) for pattern in FORBIDDEN.values())
    assert FORBIDDEN["inline script"].search('<script src="/ui/static/a.js"></script>') is None


def test_a_rendered_document_allows_only_its_own_styles_by_hash():
    html = "<html><head><style>body{color:#111}</style><style>p{margin:0}</style></head></html>"
    policy = document_csp(html)
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert policy.count("'sha256-") == 2
    assert "'sha256-zFZMo79PSr4SwN3ueoZ7/hmNQQ+kvT+BwDZTEZCR7Lg='" in policy  # body{color:#111}
    assert "unsafe-inline" not in policy
    assert "script-src" not in policy, "no script at all (default-src 'none')"
    assert "style-src 'none'" in document_csp("<p>no styles</p>")
