package bot

// What the AI agent says, in the customer's language, before the handoff
// message when it could not answer. The workspace's own messages follow
// as the admins wrote them.
var (
	lowConfidenceLeads = map[string]string{ //nolint:gochecknoglobals // read-only table
		"en": "Sorry, I can't answer this one with confidence, so I've passed your question to a person from our team, who will follow up here.",
		"es": "Lo siento, no puedo responder a esto con seguridad, así que he pasado tu pregunta a una persona de nuestro equipo, que te responderá aquí.",
		"fr": "Désolé, je ne peux pas répondre à cette question avec certitude : je l'ai transmise à une personne de notre équipe, qui vous répondra ici.",
		"de": "Das kann ich leider nicht sicher beantworten. Ich habe Ihre Frage an eine Person aus unserem Team weitergegeben, die Ihnen hier antwortet.",
		"pt": "Desculpe, não consigo responder a isto com segurança, por isso passei a sua pergunta a uma pessoa da nossa equipa, que lhe responderá aqui.",
		"it": "Mi dispiace, non posso rispondere con sicurezza, quindi ho passato la tua domanda a una persona del nostro team, che ti risponderà qui.",
		"nl": "Sorry, hier kan ik geen zeker antwoord op geven. Ik heb je vraag doorgegeven aan iemand van ons team, die je hier antwoordt.",
	}
	noDocumentsLeads = map[string]string{ //nolint:gochecknoglobals // read-only table
		"en": "Sorry, I have no articles in English to answer from, so I've passed your question to a person from our team, who will follow up here.",
		"es": "Lo siento, no tengo artículos en español con los que responderte, así que he pasado tu pregunta a una persona de nuestro equipo, que te responderá aquí.",
		"fr": "Désolé, je n'ai pas d'articles en français pour vous répondre : j'ai transmis votre question à une personne de notre équipe, qui vous répondra ici.",
		"de": "Leider habe ich keine Artikel auf Deutsch, um Ihnen zu antworten. Ich habe Ihre Frage an eine Person aus unserem Team weitergegeben, die Ihnen hier antwortet.",
		"pt": "Desculpe, não tenho artigos em português para lhe responder, por isso passei a sua pergunta a uma pessoa da nossa equipa, que lhe responderá aqui.",
		"it": "Mi dispiace, non ho articoli in italiano per risponderti, quindi ho passato la tua domanda a una persona del nostro team, che ti risponderà qui.",
		"nl": "Sorry, ik heb geen artikelen in het Nederlands om je te antwoorden. Ik heb je vraag doorgegeven aan iemand van ons team, die je hier antwoordt.",
	}
	languageNames = map[string]string{ //nolint:gochecknoglobals // read-only table
		"da": "Danish", "de": "German", "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French", "it": "Italian",
		"nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sv": "Swedish", "tr": "Turkish",
	}
)

// lowConfidenceLead opens the message of a handoff for low confidence: the
// customer hears, in their language when it is one of ours, that the AI
// agent could not answer, not only that the team is busy or away.
func lowConfidenceLead(lang string) string {
	if s, ok := lowConfidenceLeads[lang]; ok {
		return s
	}
	return lowConfidenceLeads["en"]
}

// noDocumentsLead says honestly that no document is in the customer's
// language; in a language without its own text, it says so in English.
func noDocumentsLead(lang string) string {
	if s, ok := noDocumentsLeads[lang]; ok {
		return s
	}
	return "Sorry, I have no articles in your language to answer from, so I've passed your question to a person from our team, who will follow up here."
}
