"""The chat widget in a real browser against a live server on the fixture KB.

Screenshots of the main states go to test-artifacts/. The takeover states (handoff,
agent_joined, agent_message, returned_to_bot, closed) are driven through the real agent API in
`test_a_real_agent_takes_over_through_the_agent_api`; `AgentDesk` injects them into the widget's
WebSocket to cover the rarer states (survey, offline form, handoff errors) quickly.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, WebSocketRoute, expect

from bot.conversations.events import TurnOut
from bot.conversations.models import Role, Turn
from tests.browser.conftest import Live, Tab, Widget, embed_tag

pytestmark = pytest.mark.browser

RESET_QUESTION = "how long is the password reset link valid?"
RESET_PATH = "/help/reset-password"  # citations link to the help-center page on the server


def demo(tab: Tab, live: Live) -> Widget:
    tab.page.goto(live.url + "/")
    return Widget(tab.page).ready()


def history(live: Live, widget: Widget) -> dict[str, Any]:
    conversation_id, token = widget.conversation()
    response = httpx.get(
        f"{live.url}/api/conversations/{conversation_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def test_streamed_answer_with_citations_follow_up_and_history(tab: Tab, live: Live) -> None:
    widget = demo(tab, live)
    expect(widget.launcher).to_be_visible()
    widget.screenshot("closed", full=True)
    widget.open()
    expect(widget.page.locator("support-bot [data-greeting]")).to_contain_text("Ask me anything")
    widget.screenshot("open")
    # Record whether a streaming draft (aria-busy) appeared before the stored answer.
    widget.page.evaluate(
        """() => {
            const log = document.querySelector('support-bot').shadowRoot.querySelector('.log');
            window.__drafts = 0;
            new MutationObserver((changes) => {
                for (const change of changes) for (const node of change.addedNodes) {
                    if (node.getAttribute?.('aria-busy') === 'true') window.__drafts++;
                }
            }).observe(log, { childList: true });
        }"""
    )

    answer = widget.ask(RESET_QUESTION)
    expect(answer).to_contain_text("30 minutes")
    assert widget.page.evaluate("window.__drafts") >= 1
    cite = answer.locator(".bubble sup.cite a").first
    expect(cite).to_have_attribute("href", live.url + RESET_PATH)
    expect(cite).to_have_attribute("target", "_blank")
    expect(cite).to_have_attribute("aria-label", "Source 1: Reset your password")
    expect(answer.locator(".sources a").first).to_have_attribute("href", live.url + RESET_PATH)
    expect(answer.locator(".sources a").first).to_have_text("Reset your password")
    widget.screenshot("answer")

    follow_up = widget.ask("and what if the link expired?")
    expect(follow_up.locator(".bubble")).not_to_be_empty()
    assert [t["role"] for t in history(live, widget)["turns"]] == ["customer", "bot"] * 2

    widget.page.reload()
    widget = Widget(widget.page).ready()
    widget.open()
    expect(widget.answers).to_have_count(2)
    expect(widget.customer_messages).to_have_count(2)
    expect(widget.customer_messages.first).to_contain_text(RESET_QUESTION)
    first_cite = widget.answers.first.locator("sup.cite a").first
    expect(first_cite).to_have_attribute("href", live.url + RESET_PATH)


def test_thumbs_down_is_stored(tab: Tab, live: Live) -> None:
    widget = demo(tab, live).open()
    answer = widget.ask(RESET_QUESTION)
    down = answer.get_by_role("button", name="Not helpful")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(answer.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(answer.locator(".rated")).to_have_text("Thanks for the feedback.")
    turn_id = int(answer.get_attribute("data-turn-id") or 0)
    assert live.query("SELECT rating FROM feedback WHERE turn_id = ?", turn_id) == [(-1,)]
    widget.screenshot("rated")


def _focus(page: Page) -> str:
    """The focused element, through the shadow root: tag.class#id."""
    return str(
        page.evaluate(
            """() => {
                let node = document.activeElement;
                while (node && node.shadowRoot && node.shadowRoot.activeElement) {
                    node = node.shadowRoot.activeElement;
                }
                return node ? `${node.tagName.toLowerCase()}.${node.className}#${node.id}` : '';
            }"""
        )
    )


def test_keyboard_only(tab: Tab, live: Live) -> None:
    widget = demo(tab, live)
    page = widget.page
    for _ in range(40):
        page.keyboard.press("Tab")
        if _focus(page).startswith("button.launcher"):
            break
    assert _focus(page).startswith("button.launcher"), _focus(page)
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert _focus(page) == "textarea.#sb-input"
    page.keyboard.type("how do I turn on two-step verification?")
    page.keyboard.press("Enter")
    expect(widget.answers).to_have_count(1)
    widget.screenshot("keyboard-focus")

    inside_panel = """() => {
        const root = document.querySelector('support-bot').shadowRoot;
        return document.activeElement.tagName === 'SUPPORT-BOT'
            && root.querySelector('.panel').contains(root.activeElement);
    }"""
    seen = set()
    for key in ["Tab"] * 15 + ["Shift+Tab"] * 15:
        page.keyboard.press(key)
        assert page.evaluate(inside_panel), f"focus left the open panel: {_focus(page)}"
        seen.add(_focus(page))
    assert {"textarea.#sb-input", "button.icon-button close#"} <= seen, seen

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert _focus(page).startswith("button.launcher")
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")


def test_markup_in_a_message_is_shown_as_text(tab: Tab, live: Live) -> None:
    widget = demo(tab, live).open()
    payload = "<img src=x onerror=window.__xss=1> <b>bold?</b> **really** where is my refund?"
    widget.ask(payload)
    expect(widget.customer_messages.last.locator(".bubble")).to_have_text(payload)
    assert widget.page.locator("support-bot img, support-bot b").count() == 0
    assert widget.page.evaluate("window.__xss") is None


HOSTILE_CSS = """
* { all: unset !important; font-size: 2px !important; display: block !important;
    color: red !important; background: yellow !important; position: static !important;
    visibility: visible !important; line-height: 0 !important; }
html { font-size: 1px !important; direction: rtl !important; }
div, button, textarea, section, p { width: 10px !important; height: 10px !important;
    overflow: hidden !important; }
support-bot { display: none; }
"""


def test_hostile_host_css_does_not_break_the_widget(tab: Tab, live: Live) -> None:
    html = (
        f"<!doctype html><html><head><style>{HOSTILE_CSS}</style></head><body>"
        f"<div><p>Shop</p><button>Buy</button></div>{embed_tag(live.url)}</body></html>"
    )
    tab.page.goto(live.pages.add("/hostile", html))
    widget = Widget(tab.page).ready()
    box = widget.launcher.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 120
    widget.open()
    panel = widget.panel.bounding_box()
    assert panel is not None and panel["width"] == pytest.approx(380, abs=2)
    font = widget.page.evaluate(
        """() => getComputedStyle(document.querySelector('support-bot').shadowRoot
            .querySelector('.bubble')).fontSize"""
    )
    assert font == "15px"
    answer = widget.ask(RESET_QUESTION)
    expect(answer).to_contain_text("30 minutes")
    widget.screenshot("hostile-css")


def test_only_prefixed_globals_and_no_styles_leak(tab: Tab, live: Live) -> None:
    page_url = live.pages.add(
        "/plain",
        "<!doctype html><html><head><title>Plain</title></head><body>"
        "<h1>Plain page</h1><button id=buy>Buy</button><p>Text</p></body></html>",
    )
    tab.page.goto(page_url)
    probe = """() => ({
        keys: Object.keys(window).sort(),
        sheets: document.styleSheets.length + document.adoptedStyleSheets.length,
        styles: ['h1', '#buy', 'p', 'body'].map((s) => {
            const c = getComputedStyle(document.querySelector(s));
            return [c.fontSize, c.fontFamily, c.color, c.margin, c.padding, c.background].join('|');
        }),
    })"""
    before = tab.page.evaluate(probe)
    with tab.page.expect_event("pageerror") as error:
        tab.page.add_script_tag(url=f"{live.url}/widget.js")  # no URL configured: a clear error
    assert "data-supportbot-url" in str(error.value)
    tab.errors.clear()
    tab.page.evaluate(f"window.SupportBotConfig = {{ url: {json.dumps(live.url)} }}")
    tab.page.add_script_tag(url=f"{live.url}/widget.js")
    widget = Widget(tab.page).ready().open()
    after = tab.page.evaluate(probe)
    added = sorted(set(after["keys"]) - set(before["keys"]))
    assert added == ["SupportBot", "SupportBotConfig"]
    assert after["sheets"] == before["sheets"] and after["styles"] == before["styles"]
    assert tab.page.evaluate("document.body.lastElementChild.tagName") == "SUPPORT-BOT"
    tab.page.add_script_tag(url=f"{live.url}/widget.js")  # a second copy is ignored
    assert tab.page.locator("support-bot").count() == 1
    expect(widget.panel).to_be_visible()


def test_no_serious_accessibility_violations(tab: Tab, live: Live) -> None:
    widget = demo(tab, live)
    assert widget.axe_violations() == []
    widget.open()
    widget.ask(RESET_QUESTION)
    assert widget.axe_violations() == []


def test_strict_content_security_policy(tab: Tab, live: Live) -> None:
    host = live.url
    ws_host = host.replace("http://", "ws://")
    policy = (
        f"default-src 'none'; script-src {host}; connect-src {host} {ws_host}; "
        "img-src 'none'; style-src 'none'"
    )
    violations: list[str] = []
    tab.page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    html = (
        "<!doctype html><html><head><title>CSP</title></head><body><h1>Strict CSP</h1>"
        f"<script>window.__inline = 1</script>{embed_tag(host)}</body></html>"
    )
    tab.page.goto(live.pages.add("/csp", html, {"Content-Security-Policy": policy}))
    widget = Widget(tab.page).ready()
    assert tab.page.evaluate("window.__inline") is None, "the policy is not in force"
    assert violations and all("inline script" in v or "script-src" in v for v in violations)
    violations.clear()
    widget.open()
    answer = widget.ask(RESET_QUESTION)
    expect(answer).to_contain_text("30 minutes")
    expect(widget.launcher).to_have_css("position", "fixed")
    expect(widget.banner).to_be_empty()
    assert violations == []
    widget.screenshot("strict-csp")


def test_in_an_iframe_with_blocked_storage(context: BrowserContext, tab: Tab, live: Live) -> None:
    context.add_init_script(
        """if (window !== window.top) Object.defineProperty(window, 'localStorage', {
            get() { throw new DOMException('blocked', 'SecurityError'); } });"""
    )
    page_url = live.pages.add(
        "/frame",
        "<!doctype html><html><head><title>Frame</title></head><body style='margin:0'>"
        f"<iframe title='Store' src='{live.url}/' style='width:100%;height:100vh;border:0'>"
        "</iframe></body></html>",
    )
    tab.page.goto(page_url)
    frame = tab.page.frame_locator("iframe")
    frame.locator("support-bot .launcher").click()
    frame.locator("support-bot #sb-input").fill(RESET_QUESTION)
    frame.locator("support-bot #sb-input").press("Enter")
    expect(frame.locator("support-bot .message.bot[data-turn-id]")).to_contain_text("30 minutes")


def test_offline_banner_then_resend(context: BrowserContext, tab: Tab, live: Live) -> None:
    widget = demo(tab, live).open()
    widget.ask("hi")
    context.set_offline(True)
    widget.send(RESET_QUESTION)
    expect(widget.banner).to_contain_text("Can’t reach support")
    expect(widget.customer_messages.last).to_have_attribute("data-state", "retrying")
    widget.screenshot("offline")
    context.set_offline(False)
    expect(widget.answers.last).to_contain_text("30 minutes")
    expect(widget.banner).to_be_empty()
    expect(widget.customer_messages.last).not_to_have_attribute("data-state", "retrying")
    assert [t["role"] for t in history(live, widget)["turns"]] == ["customer", "bot"] * 2


def test_lost_response_is_resent_with_the_same_client_id(tab: Tab, live: Live) -> None:
    sent: list[str] = []
    page = tab.page

    def drop_first_response(route: Route, request: Request) -> None:
        sent.append(json.loads(request.post_data or "{}")["client_id"])
        if len(sent) == 1:
            route.fetch()  # the server stores the message and the answer...
            route.abort("connectionreset")  # ...but the widget never hears back
        else:
            route.continue_()

    page.route("**/messages/stream", drop_first_response)
    # No live socket: it would deliver the stored answer and make the resend unnecessary.
    page.route_web_socket("**/ws/conversations/**", lambda socket: None)
    widget = demo(tab, live).open()
    answer = widget.ask(RESET_QUESTION)
    expect(answer).to_contain_text("30 minutes")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert [t["role"] for t in history(live, widget)["turns"]] == ["customer", "bot"]
    expect(widget.customer_messages).to_have_count(1)


def test_a_message_left_unanswered_by_a_crash_is_resent_and_answered(tab: Tab, live: Live) -> None:
    """The server stored and acknowledged the message, then stopped before answering: the
    stream ends with no answer. The widget resends it (same client_id) and gets its answer."""
    sent: list[str] = []
    page = tab.page

    def crash_after_acknowledging(route: Route, request: Request) -> None:
        message = json.loads(request.post_data or "{}")
        sent.append(message["client_id"])
        if len(sent) > 1:
            route.continue_()
            return
        conversation_id = request.url.split("/conversations/")[1].split("/")[0]
        stored: list[Turn] = []
        append = functools.partial(
            live.services.store.append,
            conversation_id,
            Role.CUSTOMER,
            message["text"],
            client_id=message["client_id"],
        )
        # Playwright's sync API runs an event loop in this thread: store from another.
        worker = threading.Thread(target=lambda: stored.append(anyio.run(append)))
        worker.start()
        worker.join()
        turn = TurnOut.model_validate(stored[0]).model_dump_json()
        route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body=f'event: message\ndata: {{"turn": {turn}}}\n\n',
        )

    page.route("**/messages/stream", crash_after_acknowledging)
    page.route_web_socket("**/ws/conversations/**", lambda socket: None)
    widget = demo(tab, live).open()
    answer = widget.ask(RESET_QUESTION)
    expect(answer).to_contain_text("30 minutes")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert [t["role"] for t in history(live, widget)["turns"]] == ["customer", "bot"]
    expect(widget.customer_messages).to_have_count(1)
    expect(widget.customer_messages.last).not_to_have_attribute("data-state", "retrying")


class AgentDesk:
    """Stands in for the escalation server side: answers /handoff and /messages like it will,
    and pushes its live events into the widget's WebSocket (the real socket stays connected)."""

    def __init__(self, page: Page, handoff: list[dict[str, Any]]) -> None:
        self.sockets: list[WebSocketRoute] = []
        self.handoff_bodies: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []
        self._handoff = handoff
        page.route_web_socket("**/ws/conversations/**", self._connect)
        page.route("**/handoff", self._answer_handoff)
        page.route("**/messages", self._answer_message)

    def _connect(self, socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        self.sockets.append(socket)

    def _answer_handoff(self, route: Route, request: Request) -> None:
        self.handoff_bodies.append(json.loads(request.post_data or "{}"))
        answer = self._handoff.pop(0)
        status = answer.pop("status", 202)
        route.fulfill(status=status, json=answer)

    def _answer_message(self, route: Route, request: Request) -> None:
        body = json.loads(request.post_data or "{}")
        self.posted.append(body)
        turn = _turn(9000 + len(self.posted), "customer", body["text"])
        route.fulfill(status=200, json={"message": turn, "reply": None, "mode": "agent"})

    def push(self, event: dict[str, Any]) -> None:
        self.sockets[-1].send(json.dumps(event))


def _turn(turn_id: int, role: str, text: str) -> dict[str, Any]:
    return {
        "id": turn_id,
        "seq": turn_id,
        "role": role,
        "text": text,
        "citations": [],
        "confidence": None,
        "kind": "",
        "created_at": "2026-01-01T00:00:00Z",
    }


def _events(page: Page) -> Callable[[], list[str]]:
    page.evaluate(
        """() => {
            window.__events = [];
            for (const name of ['open', 'close', 'message', 'handoff']) {
                SupportBot.on(name, (d) => __events.push(`${name}:${d.role || d.mode || ''}`));
            }
        }"""
    )
    return lambda: list(page.evaluate("window.__events"))


def test_person_takes_over_then_survey(tab: Tab, live: Live) -> None:
    desk = AgentDesk(
        tab.page,
        [{"mode": "waiting", "wait_message": "A person will join you in about 2 minutes."}],
    )
    widget = demo(tab, live)
    events = _events(widget.page)
    widget.open()
    widget.ask("hi")
    widget.page.get_by_role("button", name="Talk to a person").click()
    expect(widget.status).to_have_text("Waiting for a person…")
    expect(widget.notices.last).to_have_text("A person will join you in about 2 minutes.")
    expect(widget.page.get_by_role("button", name="Talk to a person")).to_be_hidden()
    widget.screenshot("waiting")

    desk.push({"type": "agent_joined", "agent": {"name": "Marta"}})
    expect(widget.status).to_have_text("Chatting with Marta")
    expect(widget.notices.last).to_have_text("Marta joined the chat.")
    desk.push(
        {
            "type": "agent_message",
            "turn": _turn(8001, "agent", "Hi, I'm **Marta**. How can I help?"),
            "agent": {"name": "Marta"},
        }
    )
    agent = widget.page.locator("support-bot .message.agent")
    expect(agent.locator(".who")).to_have_text("Marta")
    expect(agent.locator("strong")).to_have_text("Marta")
    widget.send("my order never arrived")
    expect(widget.customer_messages.last).not_to_have_attribute("data-state", "sending")
    assert desk.posted and desk.posted[0]["text"] == "my order never arrived"
    widget.screenshot("agent")

    desk.push({"type": "returned_to_bot"})
    expect(widget.status).to_have_text("Virtual assistant")
    expect(widget.notices.last).to_have_text("You’re chatting with the virtual assistant again.")
    desk.push({"type": "closed"})
    expect(widget.input).to_be_hidden()
    survey = widget.page.locator("support-bot .csat")
    expect(survey).to_be_visible()
    widget.screenshot("survey")
    survey.get_by_role("button", name="4 of 5").click()
    expect(survey.locator(".thanks")).to_have_text("Thanks for rating this chat!")
    assert history(live, widget)["csat"] == 4
    assert events() == [
        "open:",
        "message:customer",
        "message:bot",
        "handoff:waiting",
        "message:agent",
        "message:customer",
    ]
    widget.page.get_by_role("button", name="Start a new chat").click()
    expect(widget.input).to_be_focused()
    expect(widget.answers).to_have_count(0)


def test_offline_email_form_and_handoff_errors(tab: Tab, live: Live) -> None:
    desk = AgentDesk(
        tab.page,
        [
            {"status": 404, "error_code": "not_found", "detail": "Not Found"},
            {"mode": "offline", "wait_message": "No one is available right now."},
            {"mode": "offline", "wait_message": "Thanks! We'll email you at ann@example.com."},
        ],
    )
    widget = demo(tab, live).open()
    talk = widget.page.get_by_role("button", name="Talk to a person")
    talk.click()
    expect(widget.notices.last).to_contain_text("can’t reach a person right now")
    talk.click()
    form = widget.page.locator("support-bot form.offline")
    expect(form).to_be_visible()
    expect(widget.status).to_have_text("No one is available right now")
    widget.page.evaluate("SupportBot.identify({ email: 'ann@example.com', plan: 'pro' })")
    expect(form.get_by_label("Email")).to_have_value("ann@example.com")
    widget.screenshot("offline-form")
    form.get_by_role("button", name="Send").click()
    expect(form).to_be_hidden()
    expect(widget.notices.last).to_have_text("Thanks! We'll email you at ann@example.com.")
    assert desk.handoff_bodies == [{}, {}, {"email": "ann@example.com"}]


def test_configuration_spanish_and_javascript_api(tab: Tab, live: Live) -> None:
    created: list[dict[str, Any]] = []
    tab.page.on(
        "request",
        lambda r: (
            created.append(json.loads(r.post_data or "{}"))
            if r.url.endswith("/api/conversations") and r.method == "POST"
            else None
        ),
    )
    tag = embed_tag(
        live.url,
        locale="es-MX",
        brand_color="#facc15",
        position="left",
        launcher_text="¿Dudas?",
        customer_name="Ana",
        customer_plan="basic",
    )
    page_url = live.pages.add(
        "/es", f"<!doctype html><html lang=es><body><p>Tienda</p>{tag}</body></html>"
    )
    tab.page.goto(page_url)
    widget = Widget(tab.page).ready()
    expect(widget.launcher).to_have_text("¿Dudas?")
    box = widget.launcher.bounding_box()
    assert box is not None and box["x"] < 100
    expect(widget.launcher).to_have_css("color", "rgb(17, 24, 39)")  # dark text on yellow
    tab.page.evaluate("SupportBot.identify({ email: 'ana@example.com', plan: 'pro' })")
    tab.page.evaluate("SupportBot.open()")
    expect(widget.panel).to_be_visible()
    expect(widget.page.get_by_role("button", name="Hablar con una persona")).to_be_visible()
    answer = widget.ask("¿cuánto tiempo es válido el enlace para restablecer la contraseña?")
    expect(answer).to_contain_text("30 minutos")
    expect(answer.locator(".sources-title")).to_have_text("Fuentes")
    widget.screenshot("spanish")
    zone = tab.page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert zone  # sent so that opening hours can be shown in the customer's time
    assert created == [
        {
            "channel": "widget",
            "name": "Ana",
            "email": "ana@example.com",
            "page_url": page_url,
            "page_title": "",
            "locale": "es-MX",
            "metadata": {"plan": "pro", "time_zone": zone},
        }
    ]
    tab.page.evaluate("SupportBot.close()")
    expect(widget.panel).to_be_hidden()
    with pytest.raises(Exception, match="unknown event"):
        tab.page.evaluate("SupportBot.on('nope', () => {})")


def test_right_to_left_layout(tab: Tab, live: Live) -> None:
    page_url = live.pages.add(
        "/rtl",
        f"<!doctype html><html lang=ar dir=rtl><body><p>متجر</p>{embed_tag(live.url, locale='ar')}"
        "</body></html>",
    )
    tab.page.goto(page_url)
    widget = Widget(tab.page).ready().open()
    expect(widget.page.locator("support-bot .root")).to_have_attribute("dir", "rtl")
    answer = widget.ask(RESET_QUESTION)
    header = widget.page.locator("support-bot .heading").bounding_box()
    close = widget.page.locator("support-bot .close").bounding_box()
    assert header is not None and close is not None and close["x"] < header["x"]
    expect(answer).to_contain_text("30 minutes")
    widget.screenshot("rtl")


def test_phone_gets_a_full_screen_panel(browser: Any, live: Live) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",
    )
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        widget = Widget(page).ready()
        widget.screenshot("phone-closed")
        widget.open()
        assert widget.panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
        expect(widget.panel).to_have_css("animation-name", "none")
        widget.ask(RESET_QUESTION)
        widget.screenshot("phone-open")
    finally:
        context.close()


def test_customer_ends_the_chat_and_rates_it(tab: Tab, live: Live) -> None:
    widget = demo(tab, live).open()
    widget.ask(RESET_QUESTION)
    widget.page.get_by_role("button", name="End chat").click()
    survey = widget.page.locator("support-bot .csat")
    expect(survey).to_be_visible()
    expect(survey.get_by_role("button", name="1 of 5")).to_be_focused()
    widget.page.reload()
    widget = Widget(widget.page).ready().open()
    expect(survey).to_be_visible()
    expect(widget.input).to_be_hidden()
    survey.get_by_role("button", name="5 of 5").click()
    expect(widget.page.get_by_role("button", name="Start a new chat")).to_be_focused()
    assert history(live, widget)["csat"] == 5
    widget.page.reload()
    widget = Widget(widget.page).ready().open()
    expect(survey.get_by_role("button", name="5 of 5")).to_have_attribute("aria-pressed", "true")
    expect(survey.locator(".thanks")).to_have_text("Thanks for rating this chat!")
    widget.page.get_by_role("button", name="Start a new chat").click()
    expect(widget.answers).to_have_count(0)
    assert widget.page.evaluate("localStorage.getItem('supportbot:session')") is None


def _add_agent(live: Live, name: str, display_name: str) -> str:
    """Create an agent account and log it in (which makes it online); returns the token."""
    from escalation.types import AgentRole

    add = live.services.escalator.agents.add
    worker = threading.Thread(
        target=anyio.run, args=(add, name, "correct horse battery", AgentRole.AGENT, display_name)
    )
    worker.start()
    worker.join()
    login = httpx.post(
        f"{live.url}/api/agent/login", json={"name": name, "password": "correct horse battery"}
    )
    login.raise_for_status()
    token: str = login.json()["token"]
    return token


def test_a_real_agent_takes_over_through_the_agent_api(tab: Tab, live: Live) -> None:
    agent = {"Authorization": f"Bearer {_add_agent(live, 'marta', 'Marta')}"}
    widget = demo(tab, live)
    widget.open()
    widget.ask(RESET_QUESTION)
    widget.page.get_by_role("button", name="Talk to a person").click()
    expect(widget.status).to_have_text("Waiting for a person…")
    conversation_id, _ = widget.conversation()
    listed = httpx.get(f"{live.url}/api/agent/tickets", headers=agent)
    assert listed.status_code == 200, listed.text
    ticket = next(t for t in listed.json() if t["conversation_id"] == conversation_id)
    assert ticket["reasons"] == ["explicit_request"]
    claimed = httpx.post(f"{live.url}/api/agent/tickets/{ticket['id']}/claim", headers=agent)
    assert claimed.status_code == 200
    expect(widget.status).to_have_text("Chatting with Marta")
    reply = httpx.post(
        f"{live.url}/api/agent/tickets/{ticket['id']}/messages",
        json={"text": "Hi, I'm Marta. I can resend the link for you."},
        headers=agent,
    )
    assert reply.status_code == 200
    message = widget.page.locator("support-bot .message.agent").last
    expect(message).to_contain_text("I can resend the link for you.")
    widget.screenshot("real-agent")
    widget.send("thanks, please do")
    detail = httpx.get(f"{live.url}/api/agent/tickets/{ticket['id']}", headers=agent).json()
    deadline = time.monotonic() + 20
    while detail["turns"][-1]["text"] != "thanks, please do" and time.monotonic() < deadline:
        time.sleep(0.2)
        detail = httpx.get(f"{live.url}/api/agent/tickets/{ticket['id']}", headers=agent).json()
    assert detail["turns"][-1]["role"] == "customer"
    back = httpx.post(f"{live.url}/api/agent/tickets/{ticket['id']}/return", headers=agent)
    assert back.status_code == 200
    expect(widget.status).to_have_text("Virtual assistant")


def test_waiting_customer_is_answered_can_cancel_and_rates_in_their_language(
    tab: Tab, live: Live
) -> None:
    """Issue 17: an English page, a Spanish-writing customer waiting for a person."""
    widget = demo(tab, live).open()
    widget.send("hola, quiero hablar con una persona, por favor")
    cancel = widget.page.locator("support-bot .actions button[lang=es]")
    expect(cancel).to_have_text("Ya no necesito a una persona")  # the chat's language
    answer = widget.ask("¿cuánto tiempo es válido el enlace para restablecer la contraseña?")
    expect(answer).to_contain_text("Mientras esperas: ")
    expect(answer).to_contain_text("30 minutos")
    widget.screenshot("while-you-wait")

    cancel.click()
    expect(widget.notices.last).to_contain_text("he cancelado tu solicitud")
    expect(widget.status).to_have_text("Virtual assistant")
    expect(cancel).to_be_hidden()
    assert history(live, widget)["mode"] == "bot"

    widget.page.get_by_role("button", name="End chat").click()
    survey = widget.page.locator("support-bot .csat")
    expect(survey).to_have_attribute("lang", "es")
    expect(survey.locator("#sb-csat-question")).to_have_text(
        "Este chat ha finalizado. ¿Cómo valorarías este chat?"
    )
    survey.get_by_role("button", name="3 de 5").click()
    expect(survey.locator(".thanks")).to_have_text("¡Gracias por valorar este chat!")
    assert history(live, widget)["csat"] == 3
