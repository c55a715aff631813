/** UI strings (English, Spanish), the language choice and the text direction. */

const STRINGS = {
  en: {
    launcher: 'Chat with us',
    openChat: 'Open support chat',
    title: 'Support',
    greeting: 'Hi! Ask me anything about orders, shipping, returns or your account.',
    statusBot: 'Virtual assistant',
    statusWaiting: 'Waiting for a person…',
    statusAgent: 'Chatting with {name}',
    statusOffline: 'No one is available right now',
    statusClosed: 'Chat ended',
    close: 'Close chat',
    announcements: 'Announcements',
    dismiss: 'Dismiss announcement',
    endChat: 'End chat',
    talkToPerson: 'Talk to a person',
    cancelPerson: 'I don’t need a person anymore',
    log: 'Conversation',
    you: 'You',
    assistant: 'Assistant',
    agent: 'Support agent',
    typing: 'The assistant is typing…',
    message: 'Message',
    placeholder: 'Type your message…',
    send: 'Send',
    sources: 'Sources',
    source: 'Source {n}: {title}',
    rate: 'Was this answer helpful?',
    helpful: 'Helpful',
    notHelpful: 'Not helpful',
    rated: 'Thanks for the feedback.',
    sending: 'Sending…',
    retrying: 'Not delivered yet, retrying…',
    notSent: 'Not sent: {reason}',
    unreachable: 'Can’t reach support right now. We’ll keep trying…',
    waiting: 'We’re connecting you with a person. You can keep writing here.',
    agentJoined: '{name} joined the chat.',
    returnedToBot: 'You’re chatting with the virtual assistant again.',
    offlineIntro: 'No one is available right now. Leave your email and we’ll get back to you.',
    email: 'Email',
    emailSend: 'Send',
    handoffFailed: 'Sorry, we can’t reach a person right now. Please try again in a moment.',
    chatEnded: 'This chat has ended.',
    csatQuestion: 'How would you rate this chat?',
    csatScore: '{n} of 5',
    csatLow: 'Very poor',
    csatHigh: 'Excellent',
    csatThanks: 'Thanks for rating this chat!',
    npsQuestion: 'How likely are you to recommend us to a friend?',
    npsLow: 'Not likely',
    npsHigh: 'Very likely',
    npsComment: 'Anything to add? (optional)',
    npsSend: 'Send',
    npsThanks: 'Thank you for your answer!',
    suggested: 'Questions about this page?',
    nudge: 'Questions about this page? We can help.',
    dismissPrompt: 'Dismiss',
    newChat: 'Start a new chat',
    expired: 'This chat has expired, so we started a new one.',
    tooLong: 'the message is too long',
    empty: 'the message is empty',
    tooFast: 'You’re sending messages quickly; we’ll send this in {s} s.',
    replyFailed: 'We couldn’t answer your last message. Please send it again, or ask for a person.',
    failed: 'something went wrong',
  },
  es: {
    launcher: 'Chatea con nosotros',
    openChat: 'Abrir el chat de soporte',
    title: 'Soporte',
    greeting: '¡Hola! Pregúntame lo que quieras sobre pedidos, envíos, devoluciones o tu cuenta.',
    statusBot: 'Asistente virtual',
    statusWaiting: 'Esperando a una persona…',
    statusAgent: 'Hablando con {name}',
    statusOffline: 'No hay nadie disponible ahora',
    statusClosed: 'Chat finalizado',
    close: 'Cerrar el chat',
    announcements: 'Avisos',
    dismiss: 'Cerrar el aviso',
    endChat: 'Terminar chat',
    talkToPerson: 'Hablar con una persona',
    cancelPerson: 'Ya no necesito a una persona',
    log: 'Conversación',
    you: 'Tú',
    assistant: 'Asistente',
    agent: 'Agente de soporte',
    typing: 'El asistente está escribiendo…',
    message: 'Mensaje',
    placeholder: 'Escribe tu mensaje…',
    send: 'Enviar',
    sources: 'Fuentes',
    source: 'Fuente {n}: {title}',
    rate: '¿Te sirvió esta respuesta?',
    helpful: 'Útil',
    notHelpful: 'No es útil',
    rated: 'Gracias por tu opinión.',
    sending: 'Enviando…',
    retrying: 'Aún no se entregó; reintentando…',
    notSent: 'No enviado: {reason}',
    unreachable: 'No podemos conectar con soporte ahora. Seguimos intentándolo…',
    waiting: 'Te estamos comunicando con una persona. Puedes seguir escribiendo aquí.',
    agentJoined: '{name} se unió al chat.',
    returnedToBot: 'Vuelves a hablar con el asistente virtual.',
    offlineIntro: 'No hay nadie disponible ahora. Déjanos tu correo y te responderemos.',
    email: 'Correo electrónico',
    emailSend: 'Enviar',
    handoffFailed:
      'Lo sentimos, ahora no podemos comunicarte con una persona. Inténtalo de nuevo en un momento.',
    chatEnded: 'Este chat ha finalizado.',
    csatQuestion: '¿Cómo valorarías este chat?',
    csatScore: '{n} de 5',
    csatLow: 'Muy mala',
    csatHigh: 'Excelente',
    csatThanks: '¡Gracias por valorar este chat!',
    npsQuestion: '¿Qué probabilidad hay de que nos recomiendes a un amigo?',
    npsLow: 'Nada probable',
    npsHigh: 'Muy probable',
    npsComment: '¿Algo más? (opcional)',
    npsSend: 'Enviar',
    npsThanks: '¡Gracias por tu respuesta!',
    suggested: '¿Preguntas sobre esta página?',
    nudge: '¿Preguntas sobre esta página? Te ayudamos.',
    dismissPrompt: 'Cerrar',
    newChat: 'Iniciar un chat nuevo',
    expired: 'Este chat caducó, así que empezamos uno nuevo.',
    tooLong: 'el mensaje es demasiado largo',
    empty: 'el mensaje está vacío',
    tooFast: 'Estás enviando mensajes muy rápido; enviaremos este en {s} s.',
    replyFailed: 'No pudimos responder a tu último mensaje. Envíalo de nuevo o pide hablar con una persona.',
    failed: 'algo salió mal',
  },
};

const RTL_LANGUAGES = new Set(['ar', 'dv', 'fa', 'he', 'ku', 'ps', 'sd', 'ug', 'ur', 'yi']);

function primary(locale) {
  return String(locale || '').toLowerCase().split(/[-_]/)[0];
}

/** The UI language for a locale ("es-MX" → "es"); English when we have no strings for it. */
export function pickLanguage(locale) {
  const language = primary(locale);
  return Object.hasOwn(STRINGS, language) ? language : 'en';
}

/** "rtl" for right-to-left scripts, else "ltr". */
export function textDirection(locale) {
  return RTL_LANGUAGES.has(primary(locale)) ? 'rtl' : 'ltr';
}

/** t(key, {var}) for one language; unknown keys fall back to English, then to the key. */
export function translator(language) {
  const table = STRINGS[pickLanguage(language)];
  return (key, vars = {}) =>
    (table[key] ?? STRINGS.en[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) =>
      Object.hasOwn(vars, name) ? String(vars[name]) : whole,
    );
}
