"""The extractive answerer: no generative model, the best passage sentences with citations.

Passages are split into units (bot/answering/units.py: plain sentences, table rows and short
lists as sentences, numbered steps whole) and scored against the question with the embedder
already loaded for retrieval. The unit that answers the question leads (issue #16: say the
asked fact first); a little supporting context of the same articles follows in reading order,
within a word budget. Steps are quoted only when the question asks how. A yes/no question gets
"Yes." or "No." first when the leading unit says so plainly (bot/answering/yes_no.py). Each
source is cited once, after the last sentence taken from it. It cannot invent anything: every
fact comes from an article.

Units of the article ranked first get +0.05 (`_FIRST_ARTICLE`) when the dense search finds no
other passage closer. Measured 2026-12-05 after convex fusion, right / wrong answers: golden
90 / 48 -> 97 / 41; answers_iqa dev (33 / 63) and LiveQA dev (21 / 1) unchanged. Unconditional,
it gave golden 98 / 40 but LiveQA 20 / 2, and "what's your return window?" led with "Normal
return windows apply" from a gift-returns article ranked first on keywords alone. (With the
reciprocal-rank fusion before, the bonus had cost answers_iqa two right answers.)

A unit of a sentence's length that decides a yes/no question gets +0.15 (`_DECIDES`). Measured
2026-12-05: golden, LiveQA dev and answers_iqa dev answers unchanged; "can I return a gift
card?" says "No" again. Without the length cap, the gate's InsuranceQA sample lost a right
answer to a wrong "No." read off a 90-word answer. Tried and not kept, the same day: matching
the question's words by stem ("returned" for "return") changed 15 golden answers' wording, no
count; a bonus for an article's opening sentence cost LiveQA a right answer and golden answer
similarity 0.01.

A unit that opens with yes or no is kept for a question only when its first 30 words say the
same to it (`_answers_yes_no`): "no Disability Insurance do not normally have a cash value ..."
was dropped for an "if" sixty words on, and the answer came from another article. Measured
2026-12-07: answers_iqa dev right 20 -> 21, one answer-gone question answered (its "yes you can
use HSA funds to pay for long-term care insurance ..." is right: near-duplicate answers survive,
see the set's README), wrong answers 25 -> 25, refusal recall 0.83 -> 0.82; golden and LiveQA
dev answers unchanged word for word.

A question that an article declares (front matter `questions:`, which the widget suggests; found
in the customer's words by bot/helpcenter/page_help.py) is answered from that article alone,
and its opening paragraph gets +0.2 (`_OPENING`) unless the question asks how: a help article
opens with its answer. Measured 2026-12-06 on the sample shop: its 11 declared questions all
cite their article (two cited another before: "What is your return policy?" the non-returnable
items, with "Unopened ones follow the normal return policy."; "Which payment methods do you
accept?" the payment-declined article); "Why was my payment declined?" leads with the article's
"If your payment is declined ..., it's usually something small: ..." instead of "This isn't a
charge.". Golden, answers_iqa and LiveQA dev answers unchanged (none of their questions is a
declared one).

A table row chosen from a table of at most four rows (`_TABLE_ROWS`), none of whose rows the
question names, brings its whole table, in the table's order, right after the lead and before
other support, within the word budget: "what are your hours" got only "Hours for Saturday:
9 am – 5 pm ET." (the row that scored best; the others were dropped as near duplicates of it),
and "What is your return policy?" now gives the windows for all customers, Plus members and
holiday purchases (the responder hands it the article's opening chunks, OPENING_CHUNKS). A list
of labelled items is a table in words: "how long do refunds take?" got the card row only, now
the PayPal and store-credit ones too. Measured 2026-12-06: answers_iqa and LiveQA dev answers
unchanged (no tables or labelled lists there); golden outcomes unchanged, 3 answers' wording
(a $45 toaster gets both price bands of the damaged-items list, where it got the under-$20 one).
A row's first cell or label within 0.5 cosine of the question (`_NAMES_ROW`) names that row as
its words would: "how long does shipping take" gets standard shipping's delivery time, not its
price, free threshold and addresses too (distances measured: 0.58-0.59 for "when will my order
ship/arrive" to "Delivery time", at most 0.47 between the questions above and their rows).
Only rows that say alike things are quoted whole (`_ALIKE`): "do you ship internationally?" got
all four facts of standard shipping (delivery time, price, free threshold, addresses) for its
one relevant row. Pairwise, alike rows of the sample shop are 0.56-0.93 apart (days, payment
methods, plans, price bands, contact channels), a method's facts 0.43-0.53 and symptom-to-fix
tables 0.36-0.45.

Units of an example ("Example: ...", "## Examples") cost 0.1 (`_EXAMPLE`): the rule answers,
the example illustrates it. Measured 2026-12-06: golden outcomes unchanged, answer similarity
0.6045 -> 0.6049; "quiero cancelar plus ... me devuelven el dinero?" no longer opens with the
example's "Cancelas el 10 de marzo ..."; LiveQA dev unchanged. Nor does an example lead while a
rule scores at least `_MIN_SCORE`: "can i get a refund on plus" opened with "If you'd placed an
order with free Plus shipping on March 5, you'd keep Plus ... with no refund." (found
2026-12-07; golden outcomes unchanged, answer similarity 0.6222 -> 0.6232: qa-016 gets the
refund rule before its example). A unit that names a rule
without stating it ("Normal return windows apply", `_RULE_ELSEWHERE`) costs 0.1 like a pointer:
"what is your return window?" led with it (#16's example, reworded). Measured 2026-12-06:
golden, answers_iqa and LiveQA dev answers unchanged word for word. Such a unit is never
support either: with int8 vectors "what's your return window?" got it after the 30 days
(dev answers again unchanged word for word). Nor does it lead while another unit scores at least
`_MIN_SCORE`: "what's the return window", with the gift-returns article ranked first, got it
even at its -0.2 (the pointer's and the number question's). Measured 2026-12-07 (found over
HTTP): golden answers unchanged word for word.

A message that says what the customer wants to do ("I want to cancel my order", "quiero
cancelar mi pedido") and asks nothing else asks how (`wants_to`): it got "You'll get a
cancellation email right away." Measured 2026-12-06: golden right / wrong 119 / 28 -> 120 / 27
("ok did that but the email never came" is right now that "i need to reset my password"
before it gets the reset steps); answers_iqa and LiveQA dev unchanged. So does a message asking
the bot to do it ("cancel my order", "can you unsubscribe me?", "please change my email
address", `_ASKS_TO_DO`): they got "You'll get a cancellation email right away.", "Unsubscribing
only stops marketing." and "We send a notice to your old address ..."; now the steps (found
2026-12-07; golden, answers_iqa and LiveQA dev answers unchanged word for word). Read in the
follow-up's search query too (the earlier messages), it gave five golden follow-ups steps they
did not ask for ("¿y tengo que pagar el envío de la devolución?" got the return steps): the
message only.

A follow-up inherits "how" from the customer's last message only when it asks nothing of its
own: "¿y cuánto tiempo tengo para usar el enlace?" after "¿cómo la cambio?" got the reset steps,
now "Caduca a los 30 minutos." Measured 2026-12-06: that golden answer's wording alone changed
(answer similarity 0.6029 -> 0.6045); answers_iqa and LiveQA dev have no follow-ups.
A yes/no question asks something of its own too: "does he need his own account?" after the steps
to add a household member got those steps again (found over HTTP, 2026-12-07; golden: one
answer's support changed, qa-042, similarity 0.6133 -> 0.614).

A message that says what the customer already did ("already checked with the neighbours and
the mailroom", bot/answering/followup.py `already_done`) is read with the chat, and units naming
what they did cost 0.2 (`_DONE`): it got "Ask neighbours and anyone else in your household
whether they took it in." (found using the sample shop over HTTP), now that most such packages
turn up within a day or two. Measured 2026-12-06: golden answers unchanged word for word (its
one such message is a dialogue's history); answers_iqa and LiveQA dev have none.
Such units are no support either: "i already checked with the neighbours" got the neighbours
sentence after its lead. And after "did that, still crashing" (`did_as_told`) the units of the
bot's last answer, which the customer followed, are not said again: it got the same steps word
for word, now the article's last resorts (the mobile browser, the status page). Measured
2026-12-07 (both found over HTTP): golden answers unchanged word for word.

A leading sentence that introduces steps ("... work through these steps.", "Try these in order,
...") brings the first list of steps after it in its article, whatever the question asked
(`_POINTS_TO_STEPS`): "the app keeps crashing" got the introduction alone. Measured 2026-12-06:
one golden answer gained its steps (qb-041), no outcome changed; answers_iqa and LiveQA dev
answers unchanged word for word.

A follow-up read with the chat favours units naming what it adds (`_OWN`, +0.1, a lead-only
bonus like the others): "what about if i have plus?" after the return window is about Plus.
Measured 2026-12-07 together with the follow-up's topic taken from the section quoted
(bot/answering/followup.py `topic_of`): golden citation accuracy 0.7459 -> 0.7514 (dialogues
0.84 -> 0.88: dl-003 now cites the return policy's Plus window), wrong answers 0.1319 -> 0.1234
(one more handed over), answer similarity 0.6047 -> 0.6103 (0.6054 with the section alone);
answers_iqa and LiveQA dev have no follow-ups.

A problem report that asks nothing ("ok did that but the email never came") gets the steps under
a heading that names it (cosine at least 0.7, `_NAMES_PROBLEM`; "The email didn't arrive" scores
0.86), as a question that asks how would: it got "Reset emails usually arrive within a minute or
two ..." and no steps. Nor does such a report inherit "how" from the message before
(`followup.tried_it`): after "how do i reset my password" it got another article's reset steps.
"No me llega el correo" scores 0.73 for "no me llega el correo para restablecer la contraseña":
its steps follow, but the English embedder still leads with the article's password advice.
Measured 2026-12-07: golden outcomes unchanged, one answer (qa-043) is the four steps now (answer
similarity 0.6103 -> 0.6133); answers_iqa and LiveQA dev answers unchanged (no headings there).
At 0.65, "not getting any notifications from the app ..." got the app-problems article's steps
for notifications instead of its gold article's status sentence; with questions too, "¿y tengo
que pagar el envío de la devolución?" got the return steps.

For a question that asks how, steps under a heading whose every word (two at least) the question
names get +0.25 (`_NAMES_TASK`): "how do i turn on two step verification" got "1. Enter your email
address and password as usual. 2. Enter a short verification code ..." (how it works, 1.02 with
its short text) over the six steps under "Turn on two-step verification" (0.84). Measured
2026-12-07 (found over HTTP): golden answers unchanged word for word (at +0.15 that answer
stayed); answers_iqa and LiveQA dev have no headings. A particle the question turns round is no
match ("on" and "off" are stop words): "how do i turn off two step verification" got the steps
to turn it on, now "You can turn 2SV off at any time in Settings > Security > ..." (golden
answers unchanged word for word).

A report that something does not work, asking nothing ("requested my data 3 weeks ago and the
download link in the email doesnt work anymore"), wants the fix as "how do I ...?" does: it got
"Other privacy requests are answered within 30 days.", now the export steps (`_reports_problem`).
Not a question without its question mark ("... can i send them back" kept "Final sale items
can't be returned"), nor a message saying what the customer tried ("tried 3 times already" got
the reset steps again). Measured 2026-12-07: golden outcomes unchanged (qa-038, "not getting
any notifications from the app ...", now gets the two steps its reference answer gives, from
the app-problems article's "Not getting notifications?", which the golden set now counts as
gold beside the mobile-app article), answer similarity 0.614 -> 0.6214; answers_iqa and LiveQA
dev answers unchanged word for word. An item that arrived broken, damaged, cracked, ... is a
problem too: "the item i got is broken" got "Sorry your item didn't arrive in good shape." alone,
now the steps to report it (2026-12-07: golden, answers_iqa and LiveQA dev answers unchanged).
Leading steps come after the sentence that introduces them, where that was chosen too ("Try
these in order, checking the site after each step." came after the steps). A list of steps
that a chunk boundary cut is quoted to its end (`units.continued`; the responder reads the chunk
that carries it on): "the site wont load" got four of the five website fixes.

A question asking a number ("how long", "what hours") favours units that say one (+0.1, others
-0.1); "Closed" says one too: "what are your hours on sunday" gave Saturday's hours alone, and
"Hours for Sunday: Closed." now follows them (2026-12-07: golden, answers_iqa and LiveQA dev
answers unchanged word for word; "free" as well moved two golden answers, one to a wrong
article, so it is not one).

A question that asks how, when the passages read hold no steps, also scores the first steps of
the passages ranked lower (only the steps): "how do i return something?" got "Some items can't
be returned ..." from the return policy, the steps being in the start-a-return article ranked
fourth. Measured 2026-12-06: golden, answers_iqa and LiveQA dev answers unchanged, word for
word (adding the whole later passage instead brought a refund-timing sentence into one golden
answer).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import anyio
import numpy as np

from bot.answering.coverage import names_all
from bot.answering.followup import already_done, did_as_told, tried_it
from bot.answering.items import DAMAGE_WORDS
from bot.answering.passages import AnswerRequest
from bot.answering.prompting import PromptBuilder
from bot.answering.units import (
    Unit,
    continued,
    heading_of,
    opens_back,
    units_of,
    without_label,
)
from bot.answering.yes_no import asks_yes_no, same_question, yes_or_no
from bot.conversations.models import Role
from retrieval.interfaces import Embedder, Vectors
from retrieval.stopwords import content_terms

__all__ = ["ExtractiveAnswerer", "asks_how", "units_of", "wants_to"]

_MAX_PASSAGES = 2
_SCORE_MARGIN = 0.08
_MIN_SCORE = 0.3
# The article the search ranked first wins close calls: a help center repeats facts (an overview
# restates the dedicated article's), and the dedicated one is the better citation (issue 16;
# figures in the module docstring). Only where the dense search agrees it is the closest.
_FIRST_ARTICLE = 0.05
# A unit that plainly says yes or no to a yes/no question (bot/answering/yes_no.py) answers it:
# "can I return a gift card?" is decided by "Some items can't be returned: ..., Gift cards",
# not by the closer "you can return a gift with the gift receipt".
_DECIDES = 0.15
_DECIDES_WORDS = 30
# An article that declares the very question asked (front matter `questions:`) says its answer
# in its opening paragraph (before any heading), unless the question asks how.
_OPENING = 0.2
_EXAMPLE = 0.1  # an example illustrates the rule, which answers first
_DONE = 0.2  # a unit naming what the customer says they already did (followup.already_done)
_OWN = 0.1  # a follow-up's unit naming what the follow-up itself adds ("what about Plus?")
_TASK = 0.1  # for "how do I sign out?": a unit doing it (+), or only its opposite "sign in" (-)
_HOW_STEPS = 0.15  # steps, for a question that asks how (or a problem their heading names)
_NAMES_PROBLEM = 0.7  # a heading this close to a problem report names it
_NAMES_TASK = 0.25  # steps under a heading that names the task asked ("Turn on two-step ...")
# A heading or message that names a problem ("The email didn't arrive", "Code still not
# working?", "the link doesnt work", "forgot my password"), not a task ("Apply a promo code",
# 0.77 from "my promo code isnt working").
_TROUBLE = re.compile(
    r"n't\b|\b(?:wont|cant|doesnt|isnt|dont|didnt|not|no|never|cannot|trouble|problems?|errors?|"
    r"fail(?:s|ed)?|stuck|missing|forgot(?:ten)?|olvid[eé]|leak(?:s|ed)?|spoiled|hacked|"
    rf"compromised|stolen|hackead[oa]s?|robad[oa]s?|{'|'.join(DAMAGE_WORDS)})\b",
    re.IGNORECASE,
)
_AFTERTHOUGHT_WORDS = 6  # a sentence this short adds to the one before it ...
_AFTERTHOUGHT = 0.15  # ... which leads instead when it scores this close
# ... and so does one of up to `_IT_WORDS` that names a thing only as "it" or "them" ("New
# members can try it free for 30 days." after the sentence naming Brightcart Plus).
_IT = re.compile(r"\b(?:it|them)\b", re.IGNORECASE)
_IT_WORDS = 10
_DUPLICATE = 0.9
_SAME_WORDS = 0.8  # share of the shorter unit's content words
_OPENING_WORDS = 5  # units opening with this many same words repeat each other
_MAX_SUPPORT = 2  # units after the leading one: "at most a little supporting context"
_TABLE_ROWS = 4  # a table (or labelled list) this small is the answer as a whole when no row of
# it is asked about; a row's first cell or label this close to the question asks about that row
_NAMES_ROW = 0.5
# Rows that say alike things (each pair at least this close) are one answer: every day's hours,
# each payment method's refund time. A method's facts (delivery time, price, where it goes: 0.43
# to 0.53 apart) and a symptom-to-fix table (0.36-0.45) answer one row at a time.
_ALIKE = 0.55
# "cómo", or "como" opening a clause (customers drop the accent); not "como 2 semanas" (about).
_ASKS_HOW = re.compile(
    r"\bhow (?:do|can|to|should|would|does|did)\b|\bsteps?\b|\bwalk me through\b|"
    r"\bcómo\b|(?:^|[¿¡.,;:!?]\s*)como\b|\bpasos?\b",
    re.IGNORECASE,
)
# "I want to cancel my order", said without a question of its own, asks how to as much as "how
# do I cancel my order?"; "I want to know ..." does not, nor "quiero cancelar plus, ¿me
# devuelven el dinero?" (it asks about the refund).
_WANTS_TO = re.compile(
    r"\bi(?:'m| am)? (?:want|need|would like|'d like|wanna|trying) to "
    r"(?!know\b|ask\b|check\b|understand\b|see\b|be sure\b)|"
    r"\b(?:quiero|necesito) (?!saber\b)\w+(?:ar|er|ir)\b",
    re.IGNORECASE,
)
# "cancel my order", "can you unsubscribe me?", "borra mi tarjeta": asked to do what the
# customer can do themselves, the bot gives the steps, as for "I want to cancel my order".
_ASKS_TO_DO = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|pls|plz|please|por favor)\W+)*"
    r"(?:(?:can|could|would|will) (?:you|u) (?:please |pls )?|(?:puedes|pueden|podrías) )?"
    r"(?:cancel|delete|remove|unsubscribe|stop|change|update|close|reset|add|pause|unpause|"
    r"switch|turn (?:on|off)|track|return|resend|edit|unlock|reactivate|download|"
    r"opt (?:me )?out|take me off|cancela|cancelen|cancelar|borra|borren|borrar|elimina|"
    r"eliminen|eliminar|quita|quiten|quitar|cambia|cambien|cambiar|actualiza|actualizar|"
    r"cierra|cierren|cerrar|pausa|pausar)\b",
    re.IGNORECASE,
)
_QUESTION_WORDS = r"when|where|which|why|who|cu[aá]ndo|d[oó]nde|cu[aá]l|por qu[eé]"
_ASKS_SOMETHING = re.compile(rf"\?|\b(?:how|what|qu[eé]|{_QUESTION_WORDS})\b", re.IGNORECASE)
# A question word of the message's own ("when", "¿dónde?"); "what about" and "what if" only
# carry the last question on.
_ASKS_OWN = re.compile(
    rf"\b(?:what(?! about\b| if\b)|qu[eé](?! tal\b| pasa si\b)|{_QUESTION_WORDS})\b", re.IGNORECASE
)
# "can i", "is there" anywhere in a message: a question, question mark or not.
_ASKS_MODAL = re.compile(
    r"\b(?:can|could|do|does|did|is|are|will|would|should|am)\s+(?:i|you|u|we|it|they|there)\b",
    re.IGNORECASE,
)
# Particles that undo each other's task ("turn on" / "turn off"); stop words to the search.
_OPPOSITES = (("on", "off"), ("off", "on"), ("in", "out"), ("out", "in"), ("up", "down"))
_WORD = re.compile(r"\w+")
# Tasks that a particle undoes ("sign in" / "sign out"); "included in" is no task.
_TASK_VERB = re.compile(
    r"\b(sign|log|turn|opt|switch)(?:s|es|ed|ged|ing|ging)?\s+(in|out|on|off)\b", re.IGNORECASE
)
_SAME_TASK = {"log": "sign"}
_TRYING = re.compile(r"\btr(?:y|ied|ying)\b", re.IGNORECASE)  # "tried 3 times already"
_WHAT_TO_DO = re.compile(
    r"\bwhat (?:do|should|can) (?:i|we) do\b|\bwhat now\b|\bqu[eé] (?:hago|debo hacer)\b",
    re.IGNORECASE,
)
_SAYS_YES_NO = re.compile(r"^(?:yes|no|not|sí|si)\b", re.IGNORECASE)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:long|much|many|soon|late|early|fast)\b|\bwhat time\b|"
    r"\b(?:window|price|cost|fee|charge|deadline|limit|minimum|maximum|hours|cuánto|cuándo|"
    r"plazo|precio)",
    re.IGNORECASE,
)
# A number, or the word that says there are no hours ("Sunday: Closed").
_NUMBER = re.compile(r"\d|\b(?:closed|cerrado)\b", re.IGNORECASE)
# A unit that points back says little on its own: "These items ..." costs 0.05, "pay with one
# of these" and "if none of the above helps" 0.1 (what they mean is not in the answer).
_ONE_OF_THESE = re.compile(
    r"\b(?:one|any|all|some|none|each|either|neither|both|uno|una|alguno|ninguno) "
    r"(?:of|de) (?:these|those|them|the above|estos|estas|ellos|ellas)\b",
    re.IGNORECASE,
)

# "... work through these steps.": an introduction to the article's steps, which come with it.
_POINTS_TO_STEPS = re.compile(
    r"\b(?:try|follow|work through|sigue|prueba) (?:these|the following|estos|estas)\b(?!\s*:)|"
    r"\b(?:these|the following|estos|los siguientes) (?:steps|checks|fixes|pasos)\b(?!\s*:)",
    re.IGNORECASE,
)
# "Normal return windows apply": a rule named, not stated (unlike "The usual return conditions
# still apply: items must be unused ..."); what it refers to answers, if it was found.
_RULE_ELSEWHERE = re.compile(
    r"\b(?:normal|usual|standard|regular) [\w ]{0,25}?\b(?:still )?appl(?:y|ies)\b(?!\s*:)",
    re.IGNORECASE,
)


def _asked_how(request: AnswerRequest) -> bool:
    """The message asks how, or follows up a customer message that did without asking
    something of its own ("and for a gift?", not "¿y cuánto tiempo tengo para usar el
    enlace?" nor "does he need his own account?"). Not the follow-up's whole search query: it
    holds the last answer's title too, and "How to start a return" asks nothing ("what about if
    i have plus?" after the return window got the steps)."""
    question = request.question
    if asks_how(question) or wants_to(question):
        return True
    if _ASKS_OWN.search(question) or _ASKS_NUMBER.search(question) or asks_yes_no(question):
        return False
    if tried_it(question):
        return False  # "did that but the email never came": the steps did not help
    if _reports_problem(question):
        return True  # "the download link doesn't work anymore": the fix is wanted
    earlier = _customer_said(request)
    return request.query != question and bool(earlier) and asks_how(earlier[-1])


def _customer_said(request: AnswerRequest) -> list[str]:
    """The customer's earlier messages in the request's history, oldest first."""
    return [text for role, text in request.history if role is Role.CUSTOMER]


def _done(request: AnswerRequest, units: list[Unit]) -> set[int]:
    """The units naming what the customer says they already did (followup.already_done)."""
    words = already_done([*_customer_said(request), request.question])
    return {i for i, unit in enumerate(units) if not words.isdisjoint(content_terms(unit.text))}


def _told(request: AnswerRequest, units: list[Unit]) -> set[int]:
    """After "did that, still crashing" (followup.did_as_told): the units of the bot's last
    answer, which the customer followed."""
    if not did_as_told(request.question):
        return set()
    told = set(content_terms(_last_answer(request)))
    return {i for i, unit in enumerate(units) if told and _said_in(unit, told)}


def _said_in(unit: Unit, terms: set[str]) -> bool:
    """`unit` says nearly nothing that `terms` lack, its heading aside ("Step-by-step fixes,
    iPhone: swipe up ...", said as a bullet of step 2)."""
    own = set(content_terms(unit.text)) - set(content_terms(unit.section))
    return bool(own) and len(own & terms) >= _SAME_WORDS * len(own)


def _last_answer(request: AnswerRequest) -> str:
    """The bot's last message in the request's history ("" if none, or a person spoke since:
    "did that" then means what the person said)."""
    for role, text in reversed(request.history):
        if role is Role.AGENT:
            return ""
        if role is Role.BOT:
            return text
    return ""


def _names_task(request: AnswerRequest, unit: Unit) -> bool:
    """The question names every word (two at least) of the heading over `unit`: "how do i turn
    on two step verification" and "Turn on two-step verification"; not "... turn off ...", whose
    particle (a stop word) undoes the task."""
    section = heading_of(unit.section)
    heading = content_terms(section)
    if not (len(heading) >= 2 and names_all(heading, request.question)):
        return False
    said = set(_WORD.findall(section.lower()))
    asked = set(_WORD.findall(request.question.lower()))
    return not any(a in said and b in asked for a, b in _OPPOSITES)


def _phrasal(text: str) -> set[tuple[str, str]]:
    """The account tasks of `text` that have opposites: ("sign", "out") in "Sign out
    everywhere" and in "log out" (one task), ("turn", "on") in "turns on"."""
    return {
        (_SAME_TASK.get(m[1].lower(), m[1].lower()), m[2].lower())
        for m in _TASK_VERB.finditer(text)
    }


def _does_task(asked: set[tuple[str, str]], text: str) -> int:
    """1 when `text` does the question's phrasal task (`asked`: the question's `_phrasal`
    pairs, "sign out" of "how do I sign out of all devices?", as "Sign out everywhere" does),
    -1 when it does only its opposite ("You'll need to sign in again"), 0 otherwise.
    Measured 2026-12-07: "how do I sign out of all devices?" led with "You'll need to sign in
    again on your own devices." (1.03 against 0.84 for "Go to Settings > Security > Sign out
    everywhere."). Only for questions that ask how: "it still wants the old one when I log
    in" tells a story. Golden and LiveQA dev outcomes unchanged."""
    if not asked:
        return 0
    said = _phrasal(text)
    if asked & said:
        return 1
    undone = {(verb, b) for verb, a in asked for x, b in _OPPOSITES if x == a}
    return -1 if undone & said else 0


def _own_terms(request: AnswerRequest) -> set[str]:
    """What a follow-up read with the chat adds to it: its content words that the customer's
    earlier messages lack ("plus" in "what about if i have plus?"); none for a question read
    alone."""
    if request.question == request.query:
        return set()
    earlier = {term for text in _customer_said(request) for term in content_terms(text)}
    return set(content_terms(request.question)) - earlier


def _names_any(unit: Unit, terms: set[str]) -> bool:
    return bool(terms) and not terms.isdisjoint(content_terms(unit.scored))


def _points_elsewhere(text: str) -> bool:
    """`text` refers to what it does not say ("one of these", "normal return windows apply"):
    it costs as the lead and is never support (it adds nothing to the answer before it)."""
    return bool(_ONE_OF_THESE.search(text) or _RULE_ELSEWHERE.search(text))


def _reports_problem(message: str) -> bool:
    """The message reports that something does not work and asks nothing ("the download link
    in the email doesnt work anymore"): it wants the fix, as "how do I ...?" does. Not a
    question without its question mark ("... can i send them back"), nor what the customer
    tried ("tried 3 times already": the steps did not help)."""
    return (
        bool(_TROUBLE.search(message))
        and not asks_something(message)
        and not _TRYING.search(message)
    )


def asks_what_to_do(message: str) -> bool:
    """The message asks only for the next step ("what do i do", "what now", "¿qué hago?")."""
    return bool(_WHAT_TO_DO.search(message))


def asks_something(message: str) -> bool:
    """The message asks a question: a question mark, a question word, or "can i", "is there"
    and the like anywhere ("... can i send them back")."""
    return bool(_ASKS_SOMETHING.search(message) or _ASKS_MODAL.search(message))


def asks_how(question: str) -> bool:
    """The question asks for a procedure (numbered steps may be quoted)."""
    return bool(_ASKS_HOW.search(question))


def wants_to(message: str) -> bool:
    """The message says what the customer wants to do, and asks nothing else, or asks the bot
    to do it ("cancel my order", "can you unsubscribe me?"): how to."""
    if _ASKS_TO_DO.match(message.strip()):
        return not _ASKS_OWN.search(message)
    return bool(_WANTS_TO.search(message)) and not _ASKS_SOMETHING.search(message)


class ExtractiveAnswerer:
    """Answerer that quotes the help center (the embedded default)."""

    def __init__(self, embedder: Embedder, prompts: PromptBuilder, max_words: int) -> None:
        self._embedder = embedder
        self._prompts = prompts
        self._max_words = max_words

    @property
    def name(self) -> str:
        """Backend name."""
        return "extractive"

    @property
    def verbatim(self) -> bool:
        """Every sentence comes from a passage."""
        return True

    def _scores(
        self, request: AnswerRequest, units: list[Unit], how: bool, done: set[int], told: set[int]
    ) -> tuple[Vectors, Vectors]:
        """Unit vectors, and how well each unit answers the question (-1: it must not); `how`:
        the question asks for a procedure; `done`: units naming what the customer did, `told`:
        the ones they followed."""
        vectors = self._embedder.embed_documents([u.scored for u in units])
        # A follow-up is scored against its own words as much as against the rewritten query.
        scores = vectors @ self._embedder.embed_query(request.query)
        if request.question != request.query:
            scores = (scores + vectors @ self._embedder.embed_query(request.question)) / 2
        terms = set(content_terms(request.query))
        relevance = {p.n: p.relevance for p in request.passages}
        first = _FIRST_ARTICLE if relevance.get(1, 0.0) >= max(relevance.values()) else 0.0
        number = bool(_ASKS_NUMBER.search(request.query))
        own = _own_terms(request)
        tasks = _phrasal(request.question) if how else set()
        for i, unit in enumerate(units):
            overlap = len(terms & set(content_terms(unit.scored))) / len(terms) if terms else 0.0
            scores[i] += 0.1 * overlap + 0.1 * relevance[unit.n] + first * (unit.n == 1)
            # The asked fact first: a number for "how long/what's the window", steps for
            # "how do I", a unit that stands on its own.
            if number:
                scores[i] += 0.1 if _NUMBER.search(unit.text) else -0.1
            scores[i] += _HOW_STEPS * (how and unit.steps) - 0.05 * opens_back(unit.text)
            scores[i] -= 0.1 * _points_elsewhere(unit.text) + _EXAMPLE * unit.example
            scores[i] -= _DONE * (i in done)  # "Ask neighbours" to one who says they did
            scores[i] += _OWN * _names_any(unit, own)
            scores[i] += _TASK * _does_task(tasks, unit.text)
            scores[i] += _DECIDES * _decides(request.question, unit)
            scores[i] += _OPENING * _opens_answer(request, unit, how)
            if unit.faq and same_question(request.question, unit.faq):
                scores[i] += 0.2
            elif not _answers_yes_no(request.question, unit.text):
                scores[i] = -1.0  # "No." to another question ("do you ship outside ...?")
            if how and unit.option:
                scores[i] = -1.0  # the steps that give it answer "how"
        named = self._steps_named(request.question, units)
        scores[list(named)] += _HOW_STEPS
        if how:
            scores[[i for i, u in enumerate(units) if u.steps and _names_task(request, u)]] += (
                _NAMES_TASK
            )
        sentences = [i for i, u in enumerate(units) if not u.steps]
        if not how and sentences and float(np.max(scores[sentences])) >= _MIN_SCORE:
            # A plain sentence answers: a list of steps is not pasted for "what"/"can I".
            scores[[i for i, u in enumerate(units) if u.steps and i not in named]] = -1.0
        scores[list(told)] = -1.0  # the customer followed them
        pointers = [i for i, u in enumerate(units) if _RULE_ELSEWHERE.search(u.text)]
        others = [i for i in range(len(units)) if i not in pointers]
        if pointers and others and float(np.max(scores[others])) >= _MIN_SCORE:
            scores[pointers] = -1.0  # "Normal return windows apply" says no window
        return vectors, scores

    def _steps_named(self, message: str, units: list[Unit]) -> set[int]:
        """The steps under a heading that a problem report (no question asked) names: "the
        email never came" and "The email didn't arrive" (cosine 0.86)."""
        headings = {i: heading_of(u.section) for i, u in enumerate(units) if u.steps}
        steps = [i for i, heading in headings.items() if _TROUBLE.search(heading)]
        if not steps or _ASKS_SOMETHING.search(message):
            return set()
        fit = self._embedder.embed_documents([headings[i] for i in steps])
        fit = fit @ self._embedder.embed_query(message)
        return {i for i, close in zip(steps, fit, strict=True) if close >= _NAMES_PROBLEM}

    def compose(self, request: AnswerRequest) -> str:
        """The whole answer (empty when no passage has a usable sentence)."""
        read = request.passages[: 1 if request.declared else _MAX_PASSAGES]
        units = [u for p in read for u in units_of(p, self._prompts.company)]
        if not units:
            return ""
        how = _asked_how(request)
        if how and not request.declared and not any(u.steps for u in units):
            # "how do i return something?": the steps are in a passage ranked lower.
            later = (
                u
                for p in request.passages[_MAX_PASSAGES:]
                for u in units_of(p, self._prompts.company)
            )
            steps = next((u for u in later if u.steps), None)
            units += [] if steps is None else [steps]
        done, told = _done(request, units), _told(request, units)
        vectors, scores = self._scores(request, units, how, done, told)
        terms = set(content_terms(request.query))
        ranked = [int(i) for i in np.argsort(-scores, kind="stable")]
        lead = ranked[0]
        if scores[lead] < 0:
            return ""  # only yes/no answers to other questions: better to say nothing
        rule = next((i for i in ranked if not units[i].example), lead)
        if rule != lead and scores[rule] >= _MIN_SCORE:
            lead = rule  # the rule answers; its example may follow as support
            ranked = [lead, *(i for i in ranked if i != lead)]
        before = _said_before(units, lead)
        if before is not None and scores[before] >= max(scores[lead] - _AFTERTHOUGHT, _MIN_SCORE):
            # "You don't pay anything upfront." says little without the sentence it follows
            # ("For all other returns, a $6.95 return shipping fee is deducted ..."), which leads.
            lead = before
            ranked = [lead, *(i for i in ranked if i != lead)]
        # Support is measured against the lead's fit, not its yes or no or its place (which
        # only it needs).
        bonus = _DECIDES * _decides(request.question, units[lead])
        bonus += _OPENING * _opens_answer(request, units[lead], how)
        bonus += _OWN * _names_any(units[lead], _own_terms(request))
        floor = max(float(scores[lead]) - bonus - _SCORE_MARGIN, _MIN_SCORE)
        chosen = [lead]
        words = _words(units[lead])
        for i in ranked[1:]:
            if scores[i] < floor or len(chosen) > _MAX_SUPPORT:
                break
            size = _words(units[i])
            if words + size > self._max_words or _SAYS_YES_NO.match(units[i].text):
                continue
            if _points_elsewhere(units[i].text):
                continue
            if not terms & set(content_terms(units[i].text)):
                continue  # context that names nothing asked about
            if units[i].steps and any(units[j].steps for j in chosen):
                continue  # one list of steps
            if i in done or i in told:
                continue
            if float(np.max(vectors[chosen] @ vectors[i])) > _DUPLICATE or any(
                _repeats(units[i].text, units[j].text) or _same_opening(units[i], units[j])
                for j in chosen
            ):
                continue
            chosen.append(i)
            words += size
        chosen = self._with_its_steps(units, chosen, how)
        units = [continued(units, i) if i in chosen else u for i, u in enumerate(units)]
        first = units[lead]
        answer = (
            ""
            if first.steps or _SAYS_YES_NO.match(first.text)
            else yes_or_no(request.question, first.text)
        )
        if not answer:
            chosen = self._with_whole_table(units, vectors, chosen, request.query, terms)
        # A whole table that the lead is a row of is quoted in its order, and leading steps
        # after the sentence that introduces them ("Try these in order, ...").
        head = [i for i in chosen if _same_group(units[i], first)] if first.group else [lead]
        head += [i for i in chosen if _introduces(units[i], first)]
        rest = sorted(
            (units[i] for i in chosen if i not in head),
            key=lambda u: (u.n != first.n, u.n, u.order),
        )
        picked = [*sorted((units[i] for i in head), key=lambda u: u.order), *rest]
        last = {u.n: k for k, u in enumerate(picked)}
        texts = [u.text for u in picked]
        texts[1:] = [without_label(t, before) for t, before in zip(texts[1:], texts, strict=False)]
        shown = [
            {"text": text, "n": u.n, "cite": last[u.n] == k}
            for k, (u, text) in enumerate(zip(picked, texts, strict=True))
        ]
        if answer:
            shown[0]["text"] = f"{answer}. {first.text}"
        return self._prompts.extractive(shown)

    @staticmethod
    def _with_its_steps(units: list[Unit], chosen: list[int], how: bool) -> list[int]:
        """`chosen` with the steps that its leading unit introduces ("... work through these
        steps."), the first list of steps after it in its passage, in place of other steps."""
        lead = units[chosen[0]]
        if how or not _POINTS_TO_STEPS.search(lead.text):
            return chosen
        steps = next(
            (i for i, u in enumerate(units) if u.steps and u.n == lead.n and u.order > lead.order),
            None,
        )
        if steps is None:
            return chosen
        return [chosen[0], steps, *(i for i in chosen[1:] if not units[i].steps)]

    def _with_whole_table(
        self, units: list[Unit], vectors: Vectors, chosen: list[int], query: str, terms: set[str]
    ) -> list[int]:
        """`chosen` with its first table row's whole table after the lead when the table is
        small (`_TABLE_ROWS`), its rows say alike things (`_ALIKE`), the question names none of
        them (`terms`: its content words), and the two fit the word budget; the other units
        chosen stay while they fit."""
        row = next((i for i in chosen if units[i].group), None)
        if row is None:
            return chosen
        rows = [i for i, u in enumerate(units) if _same_group(u, units[row])]
        if len(rows) > _TABLE_ROWS or float(np.min(vectors[rows] @ vectors[rows].T)) < _ALIKE:
            return chosen
        if self._names_a_row(query, terms, [units[i].key for i in rows]):
            return chosen
        out = list(dict.fromkeys([chosen[0], *rows]))
        words = sum(_words(units[i]) for i in out)
        if words > self._max_words:
            return chosen
        for i in chosen[1:]:
            if i not in out and words + _words(units[i]) <= self._max_words:
                out.append(i)
                words += _words(units[i])
        return out

    def _names_a_row(self, query: str, terms: set[str], keys: list[str]) -> bool:
        """The question names one of these rows ("... on saturday"), in its words or in others
        ("when will my order ship" asks the "Delivery time" of a list of a method's facts):
        "what are your hours" asks for every day's, not the Saturday row that scored best;
        `terms` are the question's content words."""
        if any(terms & set(content_terms(key)) for key in keys):
            return True
        closeness = self._embedder.embed_documents(keys) @ self._embedder.embed_query(query)
        return float(np.max(closeness)) >= _NAMES_ROW

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer, one line at a time."""
        answer = await anyio.to_thread.run_sync(self.compose, request)
        for line in answer.splitlines(keepends=True):
            yield line


def _said_before(units: list[Unit], i: int) -> int | None:
    """The sentence just before a short one (`_AFTERTHOUGHT_WORDS` words at most, or
    `_IT_WORDS` saying "it") in its section: the fact that it adds to; None for a longer one,
    steps or a first sentence."""
    unit = units[i]
    size = len(unit.text.split())
    short = size <= _AFTERTHOUGHT_WORDS or (size <= _IT_WORDS and bool(_IT.search(unit.text)))
    if i == 0 or unit.steps or unit.group or not short:
        return None
    last = units[i - 1]  # units are in reading order, passage by passage
    same = last.n == unit.n and last.section == unit.section and last.order == unit.order - 1
    return i - 1 if same and not last.steps else None


def _answers_yes_no(question: str, text: str) -> bool:
    """A unit that opens with yes or no ("Yes, we ship to PO boxes") may answer only the
    question it was written for: what follows it must say the same to this question. Only its
    first words are read (`_DECIDES_WORDS`): an "if" sixty words on in an unpunctuated answer
    ("no Disability Insurance do not normally have a cash value ... if ...") hedges something
    else."""
    said = _SAYS_YES_NO.match(text)
    if not said:
        return True
    own = "Yes" if said.group(0).lower() in {"yes", "sí", "si"} else "No"
    opening = text[said.end() :].lstrip(" ,.").split()[:_DECIDES_WORDS]
    return yes_or_no(question, " ".join(opening)) == own


def _opens_answer(request: AnswerRequest, unit: Unit, how: bool) -> bool:
    """`unit` opens the article that declares the question asked: not steps, not a pointer to
    a list ("one of these reasons"), not for "how do I ...?"."""
    return (
        request.declared
        and not how
        and not unit.section
        and not unit.steps
        and not _ONE_OF_THESE.search(unit.text)
    )


def _introduces(unit: Unit, steps: Unit) -> bool:
    """`unit` introduces the list of `steps`: it points to steps, before them in their passage."""
    return (
        steps.steps
        and unit.n == steps.n
        and unit.order < steps.order
        and bool(_POINTS_TO_STEPS.search(unit.text))
    )


def _same_group(a: Unit, b: Unit) -> bool:
    """Rows of one table (or items of one labelled list): groups are numbered per passage."""
    return a.n == b.n and a.group == b.group


def _repeats(a: str, b: str) -> bool:
    """Two units that say the same thing in nearly the same words."""
    x, y = set(content_terms(a)), set(content_terms(b))
    return bool(x and y) and len(x & y) >= _SAME_WORDS * min(len(x), len(y))


def _decides(question: str, unit: Unit) -> bool:
    """A sentence-sized unit that says yes or no to the yes/no `question`; a paragraph holds
    every asked word and a "never" by chance ("do whole life insurance make sense?" got "No."
    from an InsuranceQA answer of 90 words)."""
    return len(unit.text.split()) <= _DECIDES_WORDS and bool(yes_or_no(question, unit.text))


def _same_opening(a: Unit, b: Unit) -> bool:
    """Two units that open with the same words (items of one list read with its lead: "Plus
    pays for itself if you ..."): the second would read as a repetition."""
    x, y = a.text.lower().split(), b.text.lower().split()
    return (
        len(x) > _OPENING_WORDS
        and len(y) > _OPENING_WORDS
        and x[:_OPENING_WORDS] == y[:_OPENING_WORDS]
    )


def _words(unit: Unit) -> int:
    """Words a unit costs of the budget: steps asked for are not cut to it."""
    return 0 if unit.steps else len(unit.text.split())
