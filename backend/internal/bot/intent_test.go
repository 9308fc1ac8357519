package bot

import (
	"slices"
	"testing"
)

// escalations are customer messages, written the way customers write them,
// that a person must handle, with the intent each shows.
var escalations = []struct{ text, intent string }{
	// human
	{"I need to talk to a real person", IntentHuman},
	{"Can I speak to someone?", IntentHuman},
	{"is there a human I can talk to", IntentHuman},
	{"can i talk to someone from customer service please", IntentHuman},
	{"Let me speak with a representative.", IntentHuman},
	{"I'd like to chat with a live agent", IntentHuman},
	{"agent", IntentHuman},
	{"Human please!!", IntentHuman},
	{"get me a manager", IntentHuman},
	{"I don't want to talk to a bot, I want a human being", IntentHuman},
	{"Stop with the robot answers and put me through to an operator", IntentHuman},
	{"Can someone please call me back?", IntentHuman},
	{"Hola, ¿puedo hablar con un asesor?", IntentHuman},
	{"Necesito hablar con alguien de atención al cliente", IntentHuman},
	{"no quiero hablar con una máquina", IntentHuman},
	{"¿Hay alguien ahí que me pueda atender?", IntentHuman},
	{"Je voudrais parler à un conseiller svp", IntentHuman},
	{"Est-ce que je peux parler à quelqu'un ?", IntentHuman},
	{"Je veux un humain, pas un robot", IntentHuman},
	{"Ich möchte bitte mit einem Mitarbeiter sprechen", IntentHuman},
	{"Kann ich mit einem echten Menschen reden?", IntentHuman},
	{"Verbinden Sie mich mit einem Kundenberater", IntentHuman},
	{"Quero falar com um atendente humano", IntentHuman},
	{"Tem alguém aí? preciso de uma pessoa de verdade", IntentHuman},
	{"Vorrei parlare con un operatore", IntentHuman},
	{"Posso parlare con una persona vera?", IntentHuman},
	{"c'è qualcuno che può aiutarmi?", IntentHuman},

	// refund
	{"I want my money back", IntentRefund},
	{"Refund me now.", IntentRefund},
	{"where is my refund, it's been weeks", IntentRefund},
	{"I returned the jacket a month ago and still no refund", IntentRefund},
	{"I'd like a full refund for order #4411", IntentRefund},
	{"You charged me twice for the same order", IntentRefund},
	{"why haven't I received my refund yet?", IntentRefund},
	{"Your refund was the wrong amount, I paid 80 not 50", IntentRefund},
	{"Quiero que me devuelvan el dinero", IntentRefund},
	{"todavía no me han devuelto el dinero del pedido", IntentRefund},
	{"¿Dónde está mi reembolso?", IntentRefund},
	{"Remboursez-moi immédiatement", IntentRefund},
	{"Je n'ai toujours pas été remboursé", IntentRefund},
	{"je veux récupérer mon argent", IntentRefund},
	{"Ich will mein Geld zurück!", IntentRefund},
	{"Wo bleibt meine Rückerstattung?", IntentRefund},
	{"Ich habe immer noch keine Erstattung bekommen", IntentRefund},
	{"Quero o estorno da compra", IntentRefund},
	{"cadê o meu reembolso??", IntentRefund},
	{"ainda não recebi meu dinheiro de volta", IntentRefund},
	{"Rivoglio i miei soldi", IntentRefund},
	{"non ho ancora ricevuto il rimborso", IntentRefund},
	{"mi avete addebitato due volte lo stesso ordine", IntentRefund},

	// chargeback
	{"I'm going to do a chargeback", IntentChargeback},
	{"I will dispute this charge with my bank", IntentChargeback},
	{"I'll call my bank and get my money back", IntentChargeback},
	{"opened a dispute with PayPal", IntentChargeback},
	{"Voy a pedir un contracargo", IntentChargeback},
	{"voy a llamar a mi banco para desconocer el cargo", IntentChargeback},
	{"Je vais faire opposition", IntentChargeback},
	{"je vais contester le paiement auprès de ma banque", IntentChargeback},
	{"Ich lasse die Lastschrift zurückbuchen", IntentChargeback},
	{"Dann buche ich das Geld über meine Bank zurück, ich mache eine Rückbuchung", IntentChargeback},
	{"vou contestar a compra no cartão", IntentChargeback},
	{"contesterò l'addebito con la banca", IntentChargeback},

	// fraud
	{"There's an unauthorized charge on my card", IntentFraud},
	{"My account was hacked and someone placed orders", IntentFraud},
	{"I never made this purchase", IntentFraud},
	{"this is a scam", IntentFraud},
	{"someone used my credit card on your site", IntentFraud},
	{"I didn't authorise that payment", IntentFraud},
	{"Me robaron la tarjeta y hay compras que no reconozco", IntentFraud},
	{"no reconozco este cargo", IntentFraud},
	{"On m'a piraté mon compte", IntentFraud},
	{"Je ne reconnais pas ce prélèvement", IntentFraud},
	{"Mein Konto wurde gehackt", IntentFraud},
	{"Das ist Betrug!", IntentFraud},
	{"Não reconheço essa compra no meu cartão", IntentFraud},
	{"caí num golpe", IntentFraud},
	{"Mi hanno clonato la carta", IntentFraud},
	{"è una truffa", IntentFraud},

	// legal
	{"I'll sue you", IntentLegal},
	{"My lawyer will be in touch", IntentLegal},
	{"I'm reporting you to the Better Business Bureau", IntentLegal},
	{"see you in court", IntentLegal},
	{"Voy a poner una denuncia en Profeco", IntentLegal},
	{"Hablaré con mi abogado", IntentLegal},
	{"Je vais porter plainte", IntentLegal},
	{"j'ai saisi la DGCCRF", IntentLegal},
	{"Ich schalte meinen Anwalt ein", IntentLegal},
	{"Ich gehe zur Verbraucherzentrale", IntentLegal},
	{"Vou abrir uma reclamação no Procon", IntentLegal},
	{"vou entrar na justiça contra vocês", IntentLegal},
	{"Vi faccio causa", IntentLegal},
	{"mi rivolgerò al mio avvocato", IntentLegal},

	// cancellation
	{"Cancel my order please", IntentCancellation},
	{"I want to cancel my subscription", IntentCancellation},
	{"please close my account", IntentCancellation},
	{"I'd like to cancel order 5521 before it ships", IntentCancellation},
	{"Quiero dar de baja mi cuenta", IntentCancellation},
	{"Necesito cancelar el pedido que hice ayer", IntentCancellation},
	{"Je souhaite résilier mon abonnement", IntentCancellation},
	{"Annulez ma commande s'il vous plaît", IntentCancellation},
	{"Bitte stornieren Sie meine Bestellung", IntentCancellation},
	{"Ich möchte mein Abo kündigen", IntentCancellation},
	{"Quero cancelar meu pedido", IntentCancellation},
	{"gostaria de cancelar a minha assinatura", IntentCancellation},
	{"Vorrei disdire l'abbonamento", IntentCancellation},
	{"voglio annullare l'ordine", IntentCancellation},

	// anger
	{"This is unacceptable", IntentAnger},
	{"Worst customer service ever", IntentAnger},
	{"this is ridiculous, three weeks and nothing", IntentAnger},
	{"WHY HAS NOBODY ANSWERED MY EMAILS!!!", IntentAnger},
	{"you people are useless", IntentAnger},
	{"what a fucking joke", IntentAnger},
	{"Esto es una vergüenza", IntentAnger},
	{"estoy harto de esperar", IntentAnger},
	{"C'est scandaleux", IntentAnger},
	{"j'en ai marre de vos délais", IntentAnger},
	{"Das ist eine Frechheit", IntentAnger},
	{"unverschämt, so ein Service", IntentAnger},
	{"Que palhaçada", IntentAnger},
	{"péssimo atendimento", IntentAnger},
	{"Siete dei ladri", IntentAnger},
	{"è una vergogna", IntentAnger},
}

// ordinary are informational or ordinary questions: the documents answer
// them, so no intent may match.
var ordinary = []string{
	"How long do refunds take?",
	"Can I get a refund if the item is damaged?",
	"What is your cancellation policy?",
	"Is there a fee to cancel?",
	"Do you accept chargebacks?",
	"When will I get my refund?",
	"How do I cancel my subscription?",
	"How can I delete my account?",
	"How long does standard shipping take?",
	"Do you ship to Canada?",
	"Where is my tracking number?",
	"What happens if my card is stolen?",
	"How do you protect my account from fraud?",
	"Do your agents speak Spanish?",
	"What are your customer service hours?",
	"I'd like to know how refunds work",
	"I don't want to cancel, just change the address",
	"I want to order a gift for someone",
	"Thanks, that was really helpful!",
	"Hi",
	"¿Cuánto tarda el reembolso?",
	"¿Cuál es su política de cancelación?",
	"¿Puedo cancelar mi pedido sin costo?",
	"¿Hacen envíos a Chile?",
	"Quisiera saber si hay reembolso para productos en oferta",
	"Combien de temps prend un remboursement ?",
	"Quelles sont les conditions d'annulation ?",
	"Est-ce que je peux être remboursé si le produit est abîmé ?",
	"Je voudrais passer une commande pour quelqu'un d'autre",
	"Livrez-vous en Belgique ?",
	"Wie lange dauert eine Rückerstattung?",
	"Wie kann ich mein Abo kündigen?",
	"Gibt es eine Gebühr für die Stornierung?",
	"Das Gericht war leider kalt",
	"Was passiert, wenn meine Karte gestohlen wird?",
	"Quanto tempo demora o reembolso?",
	"Qual é a política de cancelamento?",
	"Quando vão processar meu pedido?",
	"Vocês entregam em Portugal?",
	"Quanto tempo ci vuole per un rimborso?",
	"Come posso annullare il mio ordine?",
	"Qual è la politica di reso?",
	"Spedite anche in Svizzera?",
	"Sorry if this is a silly question, do you sell gift cards?",
	"Tell me a joke about shipping",
}

func TestDetectIntent(t *testing.T) {
	t.Parallel()
	all := defaultIntents()
	for _, tc := range escalations {
		if got := DetectIntent(all, tc.text); got != tc.intent {
			t.Errorf("%q: intent %q, want %q", tc.text, got, tc.intent)
		}
	}
	for _, text := range ordinary {
		if got := DetectIntent(all, text); got != "" {
			t.Errorf("%q: intent %q, want none", text, got)
		}
	}
	if len(escalations) < 80 || len(ordinary) < 40 {
		t.Fatalf("%d escalations and %d ordinary messages, want at least 80 and 40", len(escalations), len(ordinary))
	}
}

// TestIntentExamples: what admins are shown as matching does match, and
// every intent shows 6 to 10 examples.
func TestIntentExamples(t *testing.T) {
	t.Parallel()
	all := defaultIntents()
	if got := IntentNames(); !slices.Equal(got, []string{IntentHuman, IntentRefund, IntentChargeback, IntentFraud, IntentLegal,
		IntentCancellation, IntentAnger}) {
		t.Fatalf("intents %v", got)
	}
	for _, in := range all {
		if len(in.Examples) < 6 || len(in.Examples) > 10 || in.Description == "" || !in.Enabled {
			t.Errorf("%s: %d examples, description %q, enabled %v", in.Name, len(in.Examples), in.Description, in.Enabled)
		}
		for _, ex := range in.Examples {
			if got := DetectIntent(all, ex); got != in.Name {
				t.Errorf("%s example %q: intent %q", in.Name, ex, got)
			}
		}
	}
}

// TestDetectIntentSettings: an intent turned off does not match (the next
// one still can), and a workspace's phrases match as whole words, ignoring
// case and accents.
func TestDetectIntentSettings(t *testing.T) {
	t.Parallel()
	all := defaultIntents()
	off := func(name string) []Intent {
		out := defaultIntents()
		out[slices.IndexFunc(out, func(in Intent) bool { return in.Name == name })].Enabled = false
		return out
	}
	if got := DetectIntent(off(IntentHuman), "I need to talk to a real person"); got != "" {
		t.Errorf("human off: %q", got)
	}
	if got := DetectIntent(off(IntentRefund), "I want my money back, this is ridiculous"); got != IntentAnger {
		t.Errorf("refund off: %q, want anger", got)
	}
	with := defaultIntents()
	with[slices.IndexFunc(with, func(in Intent) bool { return in.Name == IntentRefund })].Phrases = []string{"Garantía Extendida"}
	for text, want := range map[string]string{
		"Quiero usar la GARANTIA extendida del televisor": IntentRefund,
		"garantía extendidas":                             "", // not a whole word
		"how does the warranty work":                      "",
	} {
		if got := DetectIntent(with, text); got != want {
			t.Errorf("%q with a phrase: %q, want %q", text, got, want)
		}
	}
	if got := DetectIntent(all, "Quiero usar la garantía extendida"); got != "" {
		t.Errorf("without the phrase: %q", got)
	}
}

func TestFoldText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Don't!":                     "don t",
		"Où est mon remboursement ?": "ou est mon remboursement",
		"Straße, Größe":              "strasse grosse",
		"  ÇA   VA  ":                "ca va",
		"¿Cuánto?":                   "cuanto",
	} {
		if got := foldText(in); got != want {
			t.Errorf("foldText(%q) = %q, want %q", in, got, want)
		}
	}
}
