"""The API's interactive docs (Swagger UI at ``/v1/docs``), served by the gateway itself.

FastAPI's built-in page loads its scripts from a CDN (a third party running code on the
origin the coordinator pages share) and starts Swagger UI with an inline script, which a
Content-Security-Policy without ``'unsafe-inline'`` forbids. Here the assets come from the
``fastapi-standalone-docs`` package (a Swagger UI build with its licence), mounted as
static files, and Swagger UI is started by our own ``static/swagger-init.js``; the page
runs under :data:`~.middleware.DOCS_CSP`.

No ReDoc: the same package ships ``redoc.standalone.js``, but ReDoc styles itself through
styled-components, which injects ``<style>`` elements and accepts a CSP nonce only from
its bundler's internals, so it cannot run without ``style-src 'unsafe-inline'``. Swagger UI
shows the same OpenAPI document.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

if TYPE_CHECKING:
    from fastapi import FastAPI

ASSETS = Path(str(files("fastapi_standalone_docs") / "static"))
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def install(app: FastAPI) -> None:
    """Serve the docs page and its assets on ``app`` (kept out of the OpenAPI document)."""
    app.mount("/v1/docs/assets", StaticFiles(directory=ASSETS / "swagger"), name="swagger-assets")
    openapi_url = app.openapi_url or "/v1/openapi.json"

    @app.get("/v1/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request,
            "swagger.html",
            {"title": f"{app.title} {app.version} — API", "openapi_url": openapi_url},
        )
