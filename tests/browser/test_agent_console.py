"""The agent console in Debian's Chromium (Playwright): live queue, strict escaping, claim,
reply, notes, the 409 message when another agent wins the claim, email attachments saved as
files, and axe-core checks.

The pages run with the Content-Security-Policy bypassed: the console's escaping alone must keep
hostile text inert (the CSP is a second layer, checked separately). Screenshots go to
test-artifacts/agent-console-*.png.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest

from bot.conversations.channels.email.types import Attachment, InboundEmail
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, api_settings, start
from tests.browser.conftest import ARTIFACTS, AXE, axe_violations
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
TIMEOUT_MS = 20_000


@dataclass
class Site:
    services: Services
    live: LiveServer

    @property
    def url(self) -> str:
        return self.live.url


def run_async(function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """`anyio.run` in a worker thread: Playwright's sync API keeps an event loop running in
    this one, where `anyio.run` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, function, *args).result()


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = api_settings(
        tmp_path_factory.mktemp("console"),
        escalation={"business_hours": ""},
        api={"rate_limit_per_ip": 100_000, "rate_limit_per_conversation": 1000},
    )
    services, live = start(settings, embedder)
    for name, display in [("alice", "Alice Agent"), ("bob", "Bob Agent")]:
        run_async(services.escalator.agents.add, name, PASSWORD, AgentRole.AGENT, display)
    with live:
        yield Site(services, live)
    run_async(services.aclose)


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as http:
        yield http


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"agent-console-{name}.png"), full_page=True)


def log_in(page: Any, site: Site, name: str) -> None:
    page.goto(f"{site.url}/agent")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#console-view").wait_for(state="visible")
    page.locator("#connection[data-state='online']").wait_for()


def agent_api(client: httpx.Client, name: str) -> dict[str, str]:
    login = client.post("/api/agent/login", json={"name": name, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def ticket_item(page: Any, email: str) -> Any:
    return page.locator(".ticket-item", has_text=email)


def test_console_shows_hostile_text_as_text_and_replies(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        response = page.goto(f"{site.url}/agent")
        assert response is not None and response.ok
        assert "script-src 'self'" in response.headers["content-security-policy"]
        shot(page, "1-login")
        log_in(page, site, "alice")  # online before the customer escalates
        assert page.locator("#whoami").inner_text() == "Alice Agent"

        # A customer sends hostile markup, then asks for a person.
        chat = Chat(
            client,
            name="Mallory",
            email="mallory@example.com",
            locale="en",
            page_url="https://shop.example/cart",
        )
        assert chat.send(PAYLOAD).status_code == 200
        assert chat.send("I want to talk to a real person").status_code == 200
        assert (
            client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["mode"]
            == "waiting"
        )

        # The ticket appears in the live queue without a reload.
        item = ticket_item(page, "mallory@example.com")
        item.wait_for()
        assert item.locator(".prio").count() == 1
        assert item.locator(".chip").count() >= 1
        shot(page, "2-queue")

        item.click()
        payload_turn = page.locator(".turn-customer .turn-text", has_text="window.__pwned=1")
        payload_turn.wait_for()
        assert payload_turn.inner_text() == PAYLOAD  # shown literally
        assert page.evaluate("typeof window.__pwned") == "undefined"
        hostile = page.evaluate(
            """() => ({
                images: document.querySelectorAll('img').length,
                inlineScripts: [...document.scripts].filter(s => !s.src).length,
                pwnedScripts: [...document.scripts].filter(s => s.textContent.includes('__pwned'))
                    .length,
                onerror: document.querySelectorAll('[onerror]').length,
            })"""
        )
        assert hostile == {"images": 0, "inlineScripts": 0, "pwnedScripts": 0, "onerror": 0}
        summary = page.locator("#ctx-summary").inner_text()
        assert summary.strip()
        assert page.locator("#ctx-customer").inner_text().count("mallory@example.com") == 1
        assert page.locator("#ctx-customer a[href='https://shop.example/cart']").count() == 1
        shot(page, "3-ticket")

        # Reply disabled until claimed; claim, then reply with Enter.
        reply_box = page.get_by_label("Reply to the customer")
        assert reply_box.is_disabled()
        page.get_by_role("button", name="Claim").click()
        page.locator("#reply-text:not([disabled])").wait_for()
        assert page.get_by_role("button", name="Resolve").is_enabled()
        reply_box.fill("Hi Mallory, I'm Alice.")
        reply_box.press("Shift+Enter")
        reply_box.type("How can I help?")
        reply_box.press("Enter")
        page.locator(".turn-agent .turn-text", has_text="How can I help?").wait_for()
        assert reply_box.input_value() == ""

        turns = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["turns"]
        agent_turns = [t for t in turns if t["role"] == "agent"]
        assert [t["text"] for t in agent_turns] == ["Hi Mallory, I'm Alice.\nHow can I help?"]

        # New customer messages appear live while the agent is on the ticket.
        chat.send("my cart shows <b>0 items</b>")
        live = page.locator(".turn-customer .turn-text", has_text="my cart shows <b>0 items</b>")
        live.wait_for()

        # An internal note is shown to agents only.
        page.get_by_label("Add an internal note").fill("check <i>cart</i> service logs")
        page.get_by_role("button", name="Add note").click()
        page.locator(".note-text", has_text="check <i>cart</i> service logs").wait_for()
        customer_view = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).text
        assert "service logs" not in customer_view
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("i, b").count() == 0
        shot(page, "4-claimed")

        # A reload keeps the session (sessionStorage); logging out ends it.
        page.reload()
        page.locator("#console-view").wait_for(state="visible")
        ticket_item(page, "mallory@example.com").wait_for()
        page.get_by_role("button", name="Log out").click()
        page.locator("#login-view").wait_for(state="visible")
        assert page.evaluate("sessionStorage.length") == 0
        assert errors == []
    finally:
        context.close()


def test_losing_a_claim_race_says_another_agent_took_the_chat(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    forward = {"on": True}

    # Sit between the console and /ws/agent, so the test decides when live updates arrive.
    def relay(ws: Any) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: ws.send(message) if forward["on"] else None)

    page.route_web_socket("**/ws/agent*", relay)
    try:
        log_in(page, site, "alice")
        bob = agent_api(client, "bob")
        chat = Chat(client, name="Raced", email="race@example.com", locale="en")
        assert (
            client.post(
                f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers
            ).status_code
            == 202
        )
        item = ticket_item(page, "race@example.com")
        item.wait_for()
        item.click()
        claim = page.get_by_role("button", name="Claim")
        page.locator("#claim:not([disabled])").wait_for()

        forward["on"] = False  # the console misses the live update of Bob's claim
        ticket_id = next(
            t["id"]
            for t in client.get("/api/agent/tickets", params={"status": "open"}, headers=bob).json()
            if t["conversation_id"] == chat.id
        )
        won = client.post(f"/api/agent/tickets/{ticket_id}/claim", headers=bob)
        assert won.status_code == 200, won.text
        claim.click()
        error = page.locator("#ticket-error")
        error.wait_for(state="visible")
        assert error.inner_text() == "Another agent took this chat."
        page.locator("#ticket-meta", has_text="Claimed by Bob Agent").wait_for()
        assert claim.is_disabled() and page.get_by_label("Reply to the customer").is_disabled()
        assert page.get_by_role("button", name="Resolve").is_disabled()
        shot(page, "5-claim-lost")
        forward["on"] = True
        assert json.loads(won.text)["status"] == "claimed"
    finally:
        context.close()


def test_console_is_accessible_and_keyboard_operable(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/browser")
    # axe is injected as an inline script, which the console's CSP rightly refuses.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{site.url}/agent")
        assert page.evaluate("document.activeElement.id") == "login-name"
        assert (violations := axe_violations(page)) == [], json.dumps(violations, indent=1)

        # Keyboard only: type, Tab to the password, Enter submits.
        page.keyboard.type("alice")
        page.keyboard.press("Tab")
        page.keyboard.type("wrong password!")
        page.keyboard.press("Enter")
        alert = page.get_by_role("alert").filter(has_text="Wrong name or password")
        alert.wait_for()
        page.keyboard.type(PASSWORD)  # the password field is focused and selected again
        page.keyboard.press("Enter")
        page.locator("#console-view").wait_for(state="visible")

        chat = Chat(client, name="Kim", email="kim@example.com", locale="en")
        assert (
            client.post(
                f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers
            ).status_code
            == 202
        )
        item = ticket_item(page, "kim@example.com")
        item.wait_for()
        item.focus()
        page.keyboard.press("Enter")
        page.locator("#transcript .turn").first.wait_for()
        assert page.evaluate("document.activeElement.id") == "ticket-title"
        assert (violations := axe_violations(page)) == [], json.dumps(violations, indent=1)
        shot(page, "6-keyboard")
    finally:
        context.close()


IMPERSONATION = {
    "verified": "true",
    "identity": "Identity check: PASSED",
    "email": "ceo@brightcart.example",
    "<b>role</b>": '<img src=x onerror="window.__pwned=3">admin',
}


def test_what_the_customer_supplied_is_shown_as_unverified(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    """Metadata claiming a passed identity check stays inside the unverified section."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        log_in(page, site, "alice")
        body = {"name": "Eve", "email": "eve@example.com", "metadata": IMPERSONATION}
        created = client.post("/api/conversations", json=body)
        assert created.status_code == 201, created.text
        chat = created.json()
        handoff = client.post(
            f"/api/conversations/{chat['id']}/handoff",
            json={},
            headers={"Authorization": f"Bearer {chat['token']}"},
        )
        assert handoff.status_code == 202, handoff.text
        item = ticket_item(page, "eve@example.com")
        item.wait_for()
        item.click()

        supplied = page.locator("#ctx-supplied")
        label = supplied.get_by_role("heading", name="Provided by the customer (unverified)")
        label.wait_for()
        assert page.get_by_text("Identity check: PASSED").count() == 1
        assert supplied.get_by_text("Identity check: PASSED").count() == 1
        assert supplied.get_by_text("ceo@brightcart.example").count() == 1
        assert page.get_by_text("ceo@brightcart.example").count() == 1
        verified = page.locator("#ctx-verified").inner_text()
        assert verified == "Nothing about this customer has been verified."
        page.locator("#ticket-meta", has_text="Name and email not verified").wait_for()
        assert supplied.get_by_text("<b>role</b>").count() == 1  # keys and values as text
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("#ctx-supplied img, #ctx-supplied b").count() == 0
        assert axe_violations(page, "#ctx-supplied") == []
        shot(page, "7-unverified")
    finally:
        context.close()


def test_a_reply_whose_answer_is_lost_is_resent_and_stored_once(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    """Issue 15: the console resends a reply with the same client_id after a network error,
    and the server stores it once (the first attempt was stored; only its answer was lost)."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    sent: list[dict[str, Any]] = []

    def lose_first_answer(route: Any) -> None:
        sent.append(json.loads(route.request.post_data))
        if len(sent) == 1:
            route.fetch()  # the server stores the reply...
            route.abort("connectionreset")  # ...but the console never hears back
        else:
            route.continue_()

    try:
        log_in(page, site, "alice")
        chat = Chat(client, email="lost-answer@example.com", locale="en")
        handoff = client.post(
            f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers
        )
        assert handoff.status_code == 202, handoff.text
        ticket_item(page, "lost-answer@example.com").click()
        page.get_by_role("button", name="Claim").click()
        page.locator("#reply-text:not([disabled])").wait_for()
        page.route("**/api/agent/tickets/*/messages", lose_first_answer)

        reply_box = page.get_by_label("Reply to the customer")
        reply_box.fill("Sent once, answered twice")
        reply_box.press("Enter")
        # The resend's answer clears the box (the stored reply may show live before that).
        expect(reply_box).to_have_value("")
        page.locator(".turn-agent .turn-text", has_text="Sent once, answered twice").wait_for()

        assert len(sent) == 2 and sent[0] == sent[1], sent
        assert sent[0]["client_id"]
        turns = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["turns"]
        assert [t["text"] for t in turns if t["role"] == "agent"] == ["Sent once, answered twice"]
        assert page.locator(".turn-agent .turn-text", has_text="Sent once").count() == 1
    finally:
        context.close()


def test_the_console_shows_who_takes_chats_as_it_changes(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    from playwright.sync_api import expect

    run_async(site.services.escalator.agents.add, "ada", PASSWORD, AgentRole.ADMIN, "Ada Admin")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        log_in(page, site, "alice")
        availability = page.locator("#availability")
        expect(availability).to_contain_text("Alice Agent", timeout=TIMEOUT_MS)
        expect(availability).not_to_contain_text("Ada Admin")
        # The admin opens the console (not taking chats yet), then opts in on the admin page.
        admin = agent_api(client, "ada")
        assert client.get("/api/agent/tickets", headers=admin).status_code == 200
        staff = client.get("/api/agent/staff", headers=admin).json()
        ada = next(a for a in staff if a["name"] == "ada")
        turned = client.put(
            f"/api/agent/staff/{ada['id']}/takes-chats", json={"takes_chats": True}, headers=admin
        )
        assert turned.status_code == 200, turned.text
        expect(availability).to_contain_text("Ada Admin", timeout=TIMEOUT_MS)
        shot(page, "availability")
    finally:
        context.close()


def test_agent_context_name_said_markdown_suggested_reply_merged_chat_and_hand_back_note(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    """Issue 17, item 5: the name the customer wrote is shown as said by them, messages are
    rendered as sanitised markdown, a suggested reply is inserted (not sent) with one click,
    another ticket with the same (unverified) email is only a hint until the agent merges it,
    and the hand-back note reaches the bot."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, site, "alice")
        earlier = Chat(client, email="dana@example.com", locale="en")
        assert earlier.send("Where is my parcel?").status_code == 200
        earlier_handoff = client.post(
            f"/api/conversations/{earlier.id}/handoff", json={}, headers=earlier.headers
        )
        assert earlier_handoff.status_code == 202, earlier_handoff.text
        earlier_ticket = earlier_handoff.json()["ticket_id"]
        chat = Chat(client, email="dana@example.com", locale="en")
        assert chat.ask("How many days do I have to return an item?")["citations"]
        assert (
            chat.send(
                "Hi, I'm **Dana**. Order #48213 arrived broken <script>window.__pwned=3</script>"
            ).status_code
            == 200
        )
        handoff = client.post(
            f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers
        )
        assert handoff.status_code == 202, handoff.text

        ticket_id = handoff.json()["ticket_id"]
        assert ticket_id != earlier_ticket  # the same email is not proof: a ticket each
        item = page.locator(f".ticket-item[data-ticket-id='{ticket_id}']")
        item.wait_for()
        assert ticket_item(page, "dana@example.com").count() == 2
        item.click()
        page.locator("#ticket-title .chip-said").wait_for()
        assert page.locator("#ticket-title").inner_text().startswith("Dana")
        customer = page.locator("#ctx-supplied")
        assert "Dana" in customer.inner_text() and "48213" in customer.inner_text()
        assert customer.locator(".chip-said").count() == 2  # name and order numbers
        assert page.locator("#ctx-verified").inner_text() == (
            "Nothing about this customer has been verified."
        )

        said = page.locator(".turn-customer .turn-text", has_text="arrived broken")
        assert said.locator("strong").inner_text() == "Dana"  # markdown rendered
        assert "<script>window.__pwned=3</script>" in said.inner_text()  # shown as text
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("#transcript script").count() == 0
        assert page.locator("#ctx-summary").inner_text().startswith("Request: ")

        hint = page.locator("#possibly-same")
        hint.wait_for()
        assert "email not verified" in hint.inner_text().lower()  # the heading is in capitals
        assert f"Ticket {earlier_ticket[:8]}, open" in hint.inner_text()
        assert page.locator("#linked").is_hidden()  # not linked until an agent merges
        shot(page, "8-agent-context-possibly-same-customer")
        questions: list[str] = []

        def accept(dialog: Any) -> None:
            questions.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        hint.get_by_role("button", name=f"Merge Ticket {earlier_ticket[:8]}").click()
        page.locator("#ticket-info", has_text="Merged").wait_for()
        assert "not verified" in questions[0]
        linked = page.locator("#linked")
        linked.wait_for()
        hint.wait_for(state="hidden")
        linked.locator("summary").first.click()
        linked.locator(".turn-text", has_text="Where is my parcel?").wait_for()
        page.locator(f".ticket-item[data-ticket-id='{earlier_ticket}']").wait_for(state="detached")
        shot(page, "8b-agent-context-merged")

        page.get_by_role("button", name="Claim").click()
        reply_box = page.locator("#reply-text:not([disabled])")
        reply_box.wait_for()
        page.locator("#ctx-replies .insert-reply").first.click()
        inserted = reply_box.input_value()
        assert "/help/" in inserted and "More in our help center" in inserted
        turns = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["turns"]
        assert [t for t in turns if t["role"] == "agent"] == []  # inserted, not sent
        shot(page, "9-suggested-reply")

        page.get_by_role("button", name="Hand back to bot").click()
        page.get_by_label("Note for the bot (optional)").fill("Refund RF-20931 approved.")
        shot(page, "10-hand-back")
        page.get_by_role("button", name="Hand back", exact=True).click()
        page.locator("#ticket-info", has_text="Handed back with your note").wait_for()
        page.locator("#return-form").wait_for(state="hidden")
        stored = run_async(site.services.store.turns, chat.id)
        notes = [t.text for t in stored if t.kind == "handback_note"]
        assert notes == ["Refund RF-20931 approved."]
        assert errors == []
    finally:
        context.close()


def test_email_attachments_download_as_files_under_the_real_csp(
    browser: Any, site: Site, client: httpx.Client
) -> None:
    chat = Chat(client, name="Fay", email="files@example.com", locale="en")
    handoff = client.post(f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers)
    assert handoff.status_code == 202
    receipt = bytes(range(256)) * 8
    files = (
        Attachment("r\u00e9ceipt.pdf", "application/pdf", len(receipt), False, receipt),
        Attachment(PAYLOAD + ".html", "text/html", 9, False, PAYLOAD.encode()),
        Attachment("huge.zip", "application/zip", 60_000_000, True, None),
    )
    emails = site.services.database.emails
    mail = InboundEmail(
        message_id="<files@example.com>",
        sender="files@example.com",
        sender_name="Fay",
        subject="Receipts",
        text="See attached",
        full_text="See attached",
        attachments=files,
    )
    emails.add_inbound(mail)
    emails.attach(mail.message_id, chat.id)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, site, "bob")
        ticket_item(page, "files@example.com").click()
        links = page.locator("#attachment-list .attachment-link")
        links.first.wait_for()
        assert links.all_inner_texts() == ["r\u00e9ceipt.pdf", PAYLOAD + ".html"]
        not_kept = page.locator("#attachment-list .attachment-not-kept")
        assert "huge.zip" in not_kept.inner_text() and "not kept" in not_kept.inner_text()
        assert not_kept.locator("a").count() == 0
        with page.expect_download() as saved:
            links.nth(0).click()
        download = saved.value
        assert download.suggested_filename == "r\u00e9ceipt.pdf"
        with open(download.path(), "rb") as file:
            assert file.read() == receipt
        with page.expect_download() as saved:
            links.nth(1).click()
        with open(saved.value.path(), "rb") as file:
            assert file.read() == PAYLOAD.encode()  # saved, never rendered
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.url.endswith("/agent")  # still the console: nothing was opened
        shot(page, "7-attachments")
        assert errors == []
    finally:
        context.close()
