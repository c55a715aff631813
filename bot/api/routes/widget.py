"""The embeddable chat widget (`/widget.js`) and the demo host page (`/`).

`web_widget/` holds plain ES modules (importable by `node --test`) and `widget.css`; esbuild
bundles them (`make widget`, `web_widget/build.mjs`) into one minified classic script with the CSS
inlined, `web_widget/dist/widget.js`, which is committed and served as it is. A test rebuilds it
and fails when the committed file is stale.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.answering.account_answers import greeting
from bot.api.deps import ServicesDep
from bot.api.routes.console import TEMPLATES_DIR
from bot.customers.demo_store import DEMO_IDENTITY, demo_account, signed_demo_identity
from bot.wiring import Services

WIDGET_DIR = Path(__file__).resolve().parents[3] / "web_widget"
BUNDLE_PATH = WIDGET_DIR / "dist" / "widget.js"
TEMPLATES = Jinja2Templates(directory=TEMPLATES_DIR)

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Bundle:
    """The served script: plain and gzip-compressed bytes, and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=1)
def _load(path: Path, stamp: tuple[int, int]) -> Bundle:
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise RuntimeError(
            f"the widget bundle {path} is missing; build it with `make widget`"
        ) from None
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Bundle(body, gzip.compress(body, mtime=0), f'"{digest}"')


def current_bundle(path: Path = BUNDLE_PATH) -> Bundle:
    """The built bundle, read again only when the file changed (mtime or size)."""
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        stamp = (0, 0)
    return _load(path, stamp)


@router.get("/widget.js")
def widget_script(request: Request) -> Response:
    """The embeddable widget (one script, CSS inlined), gzip-encoded when the client accepts it."""
    bundle = current_bundle()
    headers = {
        "ETag": bundle.etag,
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == bundle.etag:
        return Response(status_code=304, headers=headers)
    body = bundle.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = bundle.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request, services: ServicesDep) -> HTMLResponse:
    """The Brightcart demo store, embedding the widget exactly as a customer site would; with
    `identity.demo` on, signed in as the demo store's one customer (as the store's server
    would sign its logged-in customer: nobody can ask this page to sign anyone else)."""
    return _demo(request, services, "home")


@router.get("/demo/checkout", response_class=HTMLResponse)
def demo_checkout(request: Request, services: ServicesDep) -> HTMLResponse:
    """The demo store's checkout: the widget suggests checkout questions there (issue 21)."""
    return _demo(request, services, "checkout")


def _demo(request: Request, services: Services, page: str) -> HTMLResponse:
    base_url = str(request.base_url).rstrip("/")
    widget_config = None
    if services.settings.identity.demo:
        payload, signature = signed_demo_identity(services.identity_secret)
        company = services.settings.answer.company_name
        widget_config = {
            "identity": {"payload": payload, "signature": signature},
            "greeting": greeting(DEMO_IDENTITY["name"], DEMO_IDENTITY["locale"], company),
        }
    context = {"base_url": base_url, "widget_config": widget_config, "page": page}
    return TEMPLATES.TemplateResponse(request, "demo.html", context)


@router.get("/demo/connector/customers/{user_id}", tags=["demo"])
def demo_connector(user_id: str, services: ServicesDep) -> dict[str, Any]:
    """The example customer data connector (the demo store's orders): the JSON shape a
    company's endpoint returns (README, "Verified customers"); 404 unless the demo is on."""
    return demo_account(user_id, demo=services.settings.identity.demo)
