"""Fixed bot messages in the KB's languages (English and Spanish), chosen by locale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from bot.answering.language import detect_language
from bot.conversations.models import Conversation, Role, Turn

Key = Literal[
    "greeting",
    "thanks",
    "goodbye",
    "off_topic",
    "refusal",
    "llm_failure",
    "offer_person",
    "offer_declined",
    "other_language",
    "injection",
    "handoff",
    "handoff_measured",
    "handoff_offline",
    "handoff_unavailable",
    "email_saved",
    "agent_joined",
    "returned_to_bot",
    "merged",
    "may_help",
    "while_waiting",
    "handoff_cancelled",
    "announcement",
    "email_follow_up",
    "email_nps_survey",
    "email_nps_thanks",
    "email_earlier_conversation",
]

_EN: dict[Key, str] = {
    "greeting": "Hi! I'm the {company} assistant. Ask me anything about orders, shipping, "
    "returns, billing or your account.",
    "thanks": "You're welcome! Is there anything else I can help you with?",
    "goodbye": "Thanks for chatting with {company}. Have a great day!",
    "off_topic": "I can only help with questions about {company}: orders, shipping, returns, "
    "billing and your account. What can I help you with?",
    "refusal": "I'm sorry, I couldn't find that in the {company} help center, so I don't want to "
    "guess.",
    "llm_failure": "I'm sorry, something went wrong on our side while I was preparing your answer.",
    "offer_person": "Would you like me to connect you with a person from our support team?",
    "offer_declined": "OK. I'm still here if you need anything else.",
    "other_language": "",
    "handoff": "I'm connecting you with a person from our support team. The typical wait is "
    "{minutes}. You can keep writing here: they will see this whole conversation.",
    "handoff_measured": "I'm connecting you with a person from our support team. Lately the wait "
    "has been {minutes}. You can keep writing here: they will see this whole "
    "conversation.",
    "handoff_offline": "Our support team is offline right now. We're here {hours}. Leave your "
    "email address and we'll reply as soon as we're back; this conversation is saved.",
    "handoff_unavailable": "Nobody from our support team is free right now. Leave your email "
    "address and we'll reply as soon as someone is; this conversation is saved.",
    "email_saved": "Thanks! We'll reply to {email} as soon as the team is back.",
    "agent_joined": "{name} joined the chat.",
    "returned_to_bot": "You're chatting with the virtual assistant again.",
    "merged": "A person from our support team is handling your request. You can keep writing here.",
    "may_help": "These articles may help, though they don't answer it exactly:",
    "while_waiting": "While you wait: {answer}",
    "announcement": 'From our current announcement "{title}" [1]:\n\n{text}',
    "handoff_cancelled": "OK, I've cancelled your request for a person. I'm still here if you "
    "need anything else.",
    "email_follow_up": "A person from our team will follow up by email in this thread.",
    "email_nps_survey": "How likely are you to recommend {company} to a friend or colleague? "
    "Reply with a number from 0 to 10, and a comment if you like.",
    "email_nps_thanks": "Thank you for your answer!",
    "email_earlier_conversation": "We have your earlier conversation with us ({channel}, "
    "{date}) on file, so there's no need to repeat yourself.",
    "injection": "I can only help with questions about {company}: orders, shipping, returns, "
    "billing and your account. I can't change how I work, share internal instructions or show "
    "anyone else's information. What can I help you with?",
}

_ES: dict[Key, str] = {
    "greeting": "¡Hola! Soy el asistente de {company}. Pregúntame lo que quieras sobre pedidos, "
    "envíos, devoluciones, pagos o tu cuenta.",
    "thanks": "¡De nada! ¿Hay algo más en lo que pueda ayudarte?",
    "goodbye": "Gracias por escribir a {company}. ¡Que tengas un buen día!",
    "off_topic": "Solo puedo ayudarte con preguntas sobre {company}: pedidos, envíos, "
    "devoluciones, pagos y tu cuenta. ¿En qué puedo ayudarte?",
    "refusal": "Lo siento, no encontré eso en el centro de ayuda de {company} y no quiero "
    "adivinar.",
    "llm_failure": "Lo siento, algo falló de nuestro lado al preparar tu respuesta.",
    "offer_person": "¿Quieres que te ponga en contacto con una persona de nuestro equipo?",
    "offer_declined": "De acuerdo. Sigo aquí si necesitas algo más.",
    "other_language": "Esta información solo está disponible en inglés:",
    "handoff": "Te estoy pasando con una persona de nuestro equipo. La espera habitual es de "
    "{minutes}. Puedes seguir escribiendo: verán toda la conversación.",
    "handoff_measured": "Te estoy pasando con una persona de nuestro equipo. Últimamente la espera "
    "ha sido de {minutes}. Puedes seguir escribiendo: verán toda la conversación.",
    "handoff_offline": "Nuestro equipo no está disponible ahora. Atendemos {hours}. Déjanos tu "
    "correo y te responderemos en cuanto volvamos; la conversación queda guardada.",
    "handoff_unavailable": "Ahora no hay nadie libre en nuestro equipo. Déjanos tu correo y te "
    "responderemos en cuanto alguien pueda; la conversación queda guardada.",
    "email_saved": "¡Gracias! Te responderemos a {email} en cuanto el equipo vuelva.",
    "agent_joined": "{name} se unió al chat.",
    "returned_to_bot": "Vuelves a hablar con el asistente virtual.",
    "merged": "Una persona de nuestro equipo se está ocupando de tu solicitud. Puedes seguir "
    "escribiendo aquí.",
    "may_help": "Estos artículos pueden servirte, aunque no lo responden exactamente:",
    "while_waiting": "Mientras esperas: {answer}",
    "announcement": "Según nuestro aviso actual «{title}» [1]:\n\n{text}",
    "handoff_cancelled": "De acuerdo, he cancelado tu solicitud para hablar con una persona. "
    "Sigo aquí si necesitas algo más.",
    "email_follow_up": "Una persona de nuestro equipo te responderá por correo en este hilo.",
    "email_nps_survey": "¿Qué probabilidad hay de que recomiendes {company} a un amigo o "
    "colega? Responde con un número del 0 al 10 y, si quieres, un comentario.",
    "email_nps_thanks": "¡Gracias por tu respuesta!",
    "email_earlier_conversation": "Tenemos registrada tu conversación anterior con nosotros "
    "({channel}, {date}), así que no hace falta que lo repitas.",
    "injection": "Solo puedo ayudarte con preguntas sobre {company}: pedidos, envíos, "
    "devoluciones, pagos y tu cuenta. No puedo cambiar cómo funciono, compartir instrucciones "
    "internas ni mostrar información de otras personas. ¿En qué puedo ayudarte?",
}

_TABLES = {"en": _EN, "es": _ES}

# Said when the KB has no articles in the customer's language (the answer follows in English).
NOT_IN_LANGUAGE = {
    "fr": "Désolé, notre centre d'aide n'existe qu'en anglais et en espagnol ; voici la réponse "
    "en anglais.",
    "de": "Entschuldigung, unser Hilfe-Center gibt es nur auf Englisch und Spanisch; hier ist die "
    "Antwort auf Englisch.",
    "pt": "Desculpe, nossa central de ajuda só existe em inglês e espanhol; aqui está a resposta "
    "em inglês.",
    "it": "Spiacenti, il nostro centro assistenza esiste solo in inglese e spagnolo; ecco la "
    "risposta in inglese.",
}


def text(key: Key, locale: str, company: str, **values: object) -> str:
    """The message in `locale` (English when that locale has no table)."""
    table = _TABLES.get(locale.split("-")[0].lower(), _EN)
    return table[key].format(company=company, **values)


def about_minutes(minutes: int, locale: str) -> str:
    """An approximate wait in words: "about a minute", "about 5 minutes", "unos 5 minutos"."""
    if locale.split("-")[0].lower() == "es":
        return "alrededor de un minuto" if minutes == 1 else f"unos {minutes} minutos"
    return "about a minute" if minutes == 1 else f"about {minutes} minutes"


_CHANNELS = {
    "en": {"widget": "chat", "api": "chat", "cli": "chat", "email": "email"},
    "es": {"widget": "chat", "api": "chat", "cli": "chat", "email": "correo"},
}
_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "es": "ene feb mar abr may jun jul ago sep oct nov dic".split(),
}


def channel_name(channel: str, locale: str) -> str:
    """A channel as the customer knows it: "chat" for the widget, "email"/"correo"."""
    names = _CHANNELS.get(locale.split("-")[0].lower(), _CHANNELS["en"])
    return names.get(channel, channel)


def short_date(day: dt.date, locale: str) -> str:
    """A day and month in words: "3 Dec", "3 dic"."""
    months = _MONTHS.get(locale.split("-")[0].lower(), _MONTHS["en"])
    return f"{day.day} {months[day.month - 1]}"


def supported_locales() -> frozenset[str]:
    """Locales with a full message table."""
    return frozenset(_TABLES)


def notice_locale(conversation_locale: str, customer_text: str) -> str:
    """The language of system notices: that of the customer's latest message when it is
    detected and has a table (a Spanish speaker on an English page), else the conversation's."""
    said = detect_language(customer_text) if customer_text else None
    return said if said in _TABLES else (conversation_locale or "en")


def notices_locale(conversation: Conversation, turns: Sequence[Turn]) -> str:
    """The language of `conversation`'s notices, from its customer's latest message in `turns`."""
    said = [t.text for t in turns if t.role is Role.CUSTOMER]
    return notice_locale(conversation.locale, said[-1] if said else "")
