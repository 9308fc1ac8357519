package bot

// The escalation intents' words, in English, Spanish, French, German,
// Portuguese and Italian, over folded text (lower case, no accents, "'"
// and "-" as spaces: "quelqu'un" is "quelqu un"). Rules pair verbs of
// demand with their objects rather than list whole sentences; see compile
// for the syntax ("!" strong, "~" negated, {macro}, " .. " and " ... " for a
// few words, "_" joining the words of one alternative).

type intentDef struct {
	name, description string
	examples          []string
	rules             []string
}

var macros = map[string]string{ //nolint:gochecknoglobals,gosec // read-only table; G101: words, not credentials
	// Verbs for reaching someone.
	"talk": `talk speak chat converse reach contact connect transfer forward escalate get_through
		hablar habla hable hablo conversar comunicarme comunicar contactar atender atienda atiendan pasarme pasame me_pasa
		me_pasan transfieran
		parler discuter joindre contacter me_passer passez_moi mettre_en_relation echanger
		sprechen reden chatten telefonieren verbinden kontaktieren weiterleiten erreichen
		falar conversar contatar me_passar passar_para transferir
		parlare parlo parlerei chattare contattare passarmi mettermi_in_contatto mettere_in_contatto`,
	// A person, as the object of those verbs.
	"person": `person people human humans human_being agent agents representative representatives rep reps operator operators
		someone somebody anyone anybody staff manager supervisor employee customer_service customer_support support_team
		support_agent team_member
		persona personas humano humana humanos agente agentes asesor asesora asesores operador operadora alguien
		representante empleado empleada encargado encargada gerente ejecutivo ejecutiva atencion_al_cliente servicio_al_cliente
		conseiller conseillere conseillers humain humains operateur operatrice quelqu_un responsable interlocuteur employe
		une_personne une_vraie_personne la_personne service_client superviseur
		mensch menschen mitarbeiter mitarbeiterin mitarbeitern berater beraterin kundenberater jemand jemandem jemanden
		agenten kundendienst kundenservice vorgesetzten sachbearbeiter
		pessoa pessoas atendente atendentes alguem funcionario funcionaria consultor consultora
		persone umano umana operatore operatori qualcuno consulente addetto addetta impiegato dipendente assistenza_clienti
		servizio_clienti`,
	// A person, as the object of "I want" (not "someone", which is wanted
	// for all sorts of things).
	"wanted": `human humans real_person actual_person agent representative operator rep live_agent manager supervisor
		humano agente asesor asesora operador representante encargado gerente persona
		humain conseiller conseillere vraie_personne operateur responsable interlocuteur
		menschen mitarbeiter mitarbeiterin berater beraterin kundenberater agenten vorgesetzten
		atendente pessoa humano
		umano operatore consulente addetto`,
	"want": `want wanna need demand request require like insist_on give_me get_me
		quiero necesito exijo deseo quisiera pido
		je_veux je_voudrais j_aimerais je_souhaite je_demande il_me_faut j_exige avoir
		ich_will mochte moechte brauche verlange hatte_gern hatte_gerne haette_gern
		quero preciso exijo gostaria_de
		voglio vorrei esigo chiedo ho_bisogno_di`,
	"solo": `human agent operator representative person rep humano agente operador asesor representante persona
		humain conseiller operateur mensch mitarbeiter berater atendente pessoa operatore umano
		customer_service real_person live_agent`,
	"please": `please pls plz now asap por_favor svp s_il_vous_plait bitte per_favore ahora maintenant jetzt agora subito`,
	"plz":    `please pls plz por_favor svp s_il_vous_plait bitte per_favore`,
	"bot": `bot bots robot robots chatbot chatbots machine machines maquina maquinas roboter maschine robo robos macchina
		automated automatic_replies automatic_answers respuestas_automaticas reponses_automatiques artificial_intelligence`,

	"demand": `want wanna need demand demanding deserve expect insist_on like request requesting claim claiming
		ask_for asking_for require`,
	"refund_en": `refund refunded reimbursement reimbursed money_back`,

	"chargeback": `chargeback chargebacks charge_back contracargo contracargos retrofacturation ruckbuchung rueckbuchung
		rucklastschrift ruecklastschrift zuruckbuchen zurueckbuchen kauferschutz kaeuferschutz`,
	"bank": `bank card_issuer credit_card_company card_company credit_card card visa mastercard amex american_express paypal`,

	"fraud": `fraud fraudulent fraudulently fraudster fraudsters scam scams scammed scammer scammers scamming phishing
		identity_theft
		fraude fraudulento fraudulenta estafa estafas estafado estafada estafaron estafadores timo timaron
		suplantacion_de_identidad robo_de_identidad
		frauduleux frauduleuse frauduleuses arnaque arnaques arnaque arnaquee arnaqueurs escroquerie escroc escrocs
		usurpation_d_identite hameconnage
		betrug betruger betrueger betrugerisch betruegerisch betrogen identitatsdiebstahl identitaetsdiebstahl
		fraudulentos golpe golpes golpista golpistas estelionato roubo_de_identidade
		frode frodi fraudolento fraudolenta truffa truffe truffato truffata truffatori furto_d_identita`,
	"secret": `card cards account password email phone wallet details login identity credit_card bank_details
		tarjeta cuenta contrasena datos identidad
		carte compte mot_de_passe donnees identite coordonnees_bancaires
		karte kreditkarte konto passwort daten zugangsdaten identitat
		cartao conta senha dados identidade
		carta conto password dati identita`,
	"stolen": `stolen hacked compromised breached cloned skimmed taken_over
		robada robado robadas hackeada hackeado jaqueada clonada comprometida pirateada
		vole volee voles pirate piratee hacke hackee compromis compromise clonee
		gestohlen gehackt geklaut kompromittiert missbraucht
		roubado roubada hackeado hackeada invadida invadido clonado clonada furtado furtada
		rubata rubato hackerato hackerata clonata clonato compromessa compromesso violato violata`,
	"payment": `charge charges payment payments transaction transactions purchase purchases order orders debit withdrawal
		cargo cargos cobro cobros compra compras pago pagos transaccion movimiento movimientos pedido
		paiement paiements prelevement prelevements debit achat achats transaction commande operation
		abbuchung zahlung buchung belastung bestellung kauf transaktion lastschrift
		compra cobranca pagamento transacao debito pedido
		addebito addebiti pagamento pagamenti transazione acquisto acquisti prelievo ordine`,

	"legal": `lawsuit legal_action legal_proceedings class_action small_claims lawyer lawyers attorney attorneys solicitor
		solicitors
		abogado abogada abogados demandarlos demandarles demandare demandaremos demanda_judicial una_demanda accion_legal
		acciones_legales medidas_legales via_judicial via_legal tribunales juzgado denunciarlos denunciare
		poner_una_denuncia profeco oficina_del_consumidor defensa_del_consumidor proteccion_al_consumidor
		hoja_de_reclamaciones sernac indecopi
		mon_avocat un_avocat mes_avocats notre_avocat avocats vous_poursuivre poursuites poursuivrai en_justice tribunal
		porter_plainte deposer_plainte deposer_une_plainte mise_en_demeure action_en_justice dgccrf ufc_que_choisir
		association_de_consommateurs mediateur signalconso
		anwalt anwaltin anwalte anwalten rechtsanwalt rechtsanwaltin rechtsanwalte anwaltlich verklagen verklage klage_einreichen eine_klage klage_erheben
		vor_gericht gerichtlich gerichtliche rechtliche_schritte rechtlichen_schritten rechtliche_konsequenzen
		juristische_schritte verbraucherzentrale verbraucherschutz schlichtungsstelle strafanzeige anzeige_erstatten
		mahnbescheid
		advogado advogada advogados processarei processar_voces processar_a_empresa processo_judicial na_justica acao_judicial medidas_judiciais
		juizado procon reclame_aqui defesa_do_consumidor codigo_de_defesa_do_consumidor
		avvocato avvocati fare_causa faro_causa faccio_causa vi_faccio_causa denunciare denuncero tribunale giudice
		azione_legale azioni_legali vie_legali via_legale il_mio_legale codacons altroconsumo associazione_consumatori
		polizia_postale`,
	"regulator": `ftc bbb better_business_bureau trading_standards consumer_protection authorities ombudsman regulator police
		cfpb attorney_general consumer_affairs`,

	"cancel_want": `want wanna need like wish going trying decided ready have
		quiero quisiera necesito deseo me_gustaria voy_a he_decidido
		je_veux je_voudrais je_souhaite j_aimerais je_dois merci_d veuillez je_vais j_ai_decide_d
		quero gostaria_de preciso desejo vou decidi
		voglio vorrei devo desidero intendo ho_deciso_di ho_bisogno_di`,
	"cancel_verb": `cancel unsubscribe terminate
		cancelar anular dar_de_baja darme_de_baja rescindir desuscribirme
		annuler resilier me_desabonner me_desinscrire
		cancelar encerrar rescindir
		annullare cancellare disdire recedere disiscrivermi`,
	"close_verb": `close delete terminate end stop discontinue quit
		cerrar eliminar borrar
		fermer supprimer cloturer clore arreter
		encerrar excluir desativar
		chiudere eliminare disattivare`,
	"subscription": `account subscription membership plan contract service order booking reservation purchase renewal
		auto_renewal billing
		pedido orden compra suscripcion cuenta membresia plan reserva contrato servicio
		commande abonnement compte contrat reservation adhesion forfait achat
		pedido assinatura conta compra plano contrato reserva
		ordine abbonamento account contratto prenotazione iscrizione`,
	"kundigen": `kundigen kuendigen stornieren abbestellen beenden loschen loeschen widerrufen abmelden auflosen aufloesen
		canceln deaktivieren`,

	"curse": `fuck fucking fucked fucker fuckers shit shitty bullshit wtf asshole assholes bastard bastards motherfucker
		motherfuckers crap crappy screw_you piss_off pissed_off
		mierda joder carajo puta puto putos cono pendejo pendejos gilipollas
		merde putain bordel connard connards abrutis encules
		scheisse scheiss verdammt arschloch arschlocher
		porra caralho merda
		cazzo vaffanculo stronzi stronzo`,
	"outrage": `unacceptable ridiculous pathetic disgraceful disgusting outrageous a_disgrace shameful shame_on_you appalling
		atrocious horrendous rip_off ripoff ripped_off fed_up sick_of sick_and_tired had_enough furious angry livid
		infuriating infuriated frustrated frustrating frustrante frustrado frustrada frustre frustree frustriert
		frustrato frustrata incompetent incompetence useless idiots morons clowns thieves crooks liars
		inaceptable ridiculo ridicula una_burla una_verguenza que_verguenza vergonzoso vergonzosa pesimo pesima harto
		harta indignado indignada indignante furioso furiosa enfadado enfadada enojado enojada cabreado cabreada inutiles
		incompetentes ladrones sinverguenzas mentirosos tomadura_de_pelo un_asco una_porqueria
		inacceptable inadmissible ridicule une_blague honteux honteuse une_honte scandaleux scandaleuse un_scandale
		lamentable pitoyable minable deplorable incompetents j_en_ai_marre marre ras_le_bol furieux furieuse
		en_colere foutage_de_gueule vous_vous_foutez voleurs menteurs
		inakzeptabel unakzeptabel lacherlich laecherlich ein_witz frechheit unverschamt unverschaemt skandal skandalos
		katastrophal wutend wuetend stinksauer verarschung verarscht verarschen idioten vollidioten inkompetent
		inkompetente zumutung sauerei abzocke abzocker diebe lugner luegner armselig erbarmlich erbaermlich miserabel
		unfahig unfaehig
		inaceitavel uma_piada um_absurdo absurdo vergonha vergonhoso vergonhosa pessimo pessima palhacada lixo
		incompetencia revoltado revoltada irritado irritada ladroes descaso desrespeito falta_de_respeito
		inaccettabile ridicolo una_vergogna vergogna vergognoso vergognosa vergognatevi pessimi scandaloso scandalosa
		scandalo assurdo una_presa_in_giro arrabbiato arrabbiata arrabbiatissimo incazzato incazzata schifo
		fa_schifo incompetenti idioti ladri buffoni pagliacci stufo stufa`,
	"service": `service support experience company customer_service shop store website app communication
		servicio atencion empresa experiencia tienda
		service experience entreprise site boutique sav
		service kundenservice kundendienst firma laden
		servico atendimento empresa loja
		servizio assistenza azienda negozio`,
}

var lexicon = []intentDef{ //nolint:gochecknoglobals // read-only table
	{
		name:        IntentHuman,
		description: "The customer asks for a person: a human, an agent, someone real.",
		examples: []string{"Can I talk to a real person?", "I want to speak to an agent", "Quiero hablar con una persona",
			"Je voudrais parler à un conseiller", "Ich möchte mit einem Mitarbeiter sprechen", "Quero falar com um atendente",
			"Posso parlare con un operatore?", "Human please"},
		rules: []string{
			`! {talk} ... {person}`,
			`! (real|actual|live) (person|people|human|humans|agent|agents|representative|operator)`,
			`! (human_being|someone_real|somebody_real|persona_real|persona_de_verdad|ser_humano|agente_humano|vraie_personne|personne_reelle|etre_humain|conseiller_humain|echten_menschen|echter_mensch|echte_person|realen_person|menschlichen_mitarbeiter|pessoa_real|pessoa_de_verdade|atendente_humano|atendimento_humano|persona_vera|persona_reale|essere_umano|operatore_umano)`,
			`! (human|agent|operator|representative|person|humano|agente|operador|humain|conseiller|mensch|mitarbeiter|atendente|pessoa|operatore|umano) {plz}`,
			`! (mit|einen|eine|einem|einer) (\w+ ){0,1}(mensch|menschen|mitarbeiter|mitarbeiterin|mitarbeitern|berater|beraterin|kundenberater|jemandem|jemanden|jemand|person|agenten|vorgesetzten|kundendienst|kundenservice|sachbearbeiter) ... (sprechen|reden|chatten|telefonieren|erreichen|kontaktieren|verbunden|verbinden|schreiben)`,
			`! ^({please} )?(a |an |un |une |una |um |uma |ein |einen )?{solo}( {please})*$`,
			`! (is|are) there (\w+ ){0,1}(real |actual |live )?(human|humans|person|people|agent|agents|anyone|anybody|someone|somebody)`,
			`! (is|s) (anyone|anybody|someone|somebody) (there|here|available|real|alive|around|working)`,
			`! hay (\w+ ){0,1}(persona|personas|humano|alguien|agente|asesor|operador)`,
			`! (y a t il|il y a|y a) (\w+ ){0,1}(quelqu_un|humain|une_personne|une_vraie_personne|conseiller|operateur|agent)`,
			`! (gibt es|ist da|ist hier|ist) (\w+ ){0,1}(jemand|menschen|mitarbeiter|echten_menschen|echte_person)`,
			`! (tem|existe) (\w+ ){0,1}(alguem|pessoa|humano|atendente|atendentes)`,
			`! (c e|ce|ci sono) (\w+ ){0,1}(qualcuno|persona|umano|operatore|operatori)`,
			`! {want} (\w+ ){0,2}{wanted}`,
			`! (want|need|demand) (a |an )?person$`,
			`! (can|could|would|will) (someone|somebody|a_person|a_human|an_agent|anyone|anybody|a_real_person|a_representative|a_manager) (please )?(help|call|contact|assist|answer|respond|get_back|look|check|reply)`,
			`! (someone|somebody|anyone|anybody) (please )?help`,
			`! (alguien|una_persona|un_humano|un_agente|un_asesor) (\w+ ){0,2}(ayudar|ayude|ayudarme|atender|atienda|atenderme|llamar|llame|llamarme|contestar|conteste|responder|responda)`,
			`! quelqu un (\w+ ){0,2}(aider|aide|rappeler|repondre)`,
			`! (jemand|ein_mensch|ein_mitarbeiter|eine_person) (\w+ ){0,2}(helfen|anrufen|zuruckrufen|zurueckrufen|melden|antworten)`,
			`! (alguem|uma_pessoa|um_atendente|um_humano) (\w+ ){0,2}(ajudar|ajuda|ajude|atender|atende|ligar|liga|responder|responde)`,
			`! (qualcuno|una_persona|un_operatore) (\w+ ){0,2}(aiutarmi|aiutare|aiuta|rispondere|risponde|richiamarmi|chiamarmi)`,
			`! (call|ring|phone) me (back|please|asap)`,
			`! (can|could) you (call|ring|phone) me`,
			`! (give me a call|please call me|rappelez moi|appelez moi|llamenme|llameme|llamadme|rufen sie mich|ruft mich|me liga|me ligue|liguem me|ligue me|richiamatemi|chiamatemi|mi richiami|mi chiami)`,
			`!~ (not|no|t|dont|do_not|no_more|nada_de|pas|plus_de|kein|keinen|keine|nicht|nao|non|niente) ... {bot}`,
			`! (no|not_an|not_a) ai$`,
			`! (hate|tired_of|sick_of|enough_of|stop|fed_up_with|harto_de|cansado_de|marre_de|marre_des|genug_von|cansado_de|stufo_di) (\w+ ){0,2}{bot}`,
			`!~ {bot} (\w+ ){0,2}(useless|stupid|dumb|isn_t_helping|not_helping|doesn_t_help|inutil|nul|inutile|nutzlos|sinnlos)`,
			`! (please )?escalate (this|it|my)`,
		},
	},
	{
		name:        IntentRefund,
		description: "The customer demands a refund or their money back, or disputes one.",
		examples: []string{"I want my money back", "Refund me now", "Where is my refund? It's been weeks",
			"Quiero que me devuelvan el dinero", "Remboursez-moi", "Ich will mein Geld zurück", "Cadê meu reembolso?",
			"Rivoglio i miei soldi"},
		rules: []string{
			`(refund|reimburse|repay) (me|us)`,
			`{demand} (a |an |my |the |full |complete |to_get |to_have |to_receive |to_request |to_claim |back |for |get |to |be )*(full |complete |whole )?{refund_en}`,
			`! (give|send|pay|transfer|return) (me |us )?(back )?(my|our|the) money`,
			`(give|send|issue|process) (me |us )?(a |my |the |our )?(full )?(refund|reimbursement)`,
			`(waiting|wait) (\w+ ){0,2}(on|for) (my|the|a|our) (refund|money|reimbursement)`,
			`! money back (please|now|asap|immediately|today)`,
			`my money back`,
			`! where (is|s|are) (my|the|our) (\w+ ){0,1}(refund|money|reimbursement|credit)`,
			`~ (t|not|never|still|yet|no) ... (received|receive|got|gotten|get|seen|arrived|come|came|been|issued|processed|credited|showed|appeared) ... (refund|refunded|reimbursed|reimbursement|money|credit)`,
			`~ (refund|money|reimbursement|credit) ... (t|not|never|still|yet) ... (received|arrived|come|came|been|issued|processed|credited|showed|appeared|here|back)`,
			`~ still no (refund|money|reimbursement|credit)`,
			`~ (won t|will not|refuse to|refusing to|refused to|didn t|did not|wouldn t|would not) ... (refund|reimburse)`,
			`(refund|refunded|refunds|reimbursement) ... (denied|refused|rejected|declined|wrong|incorrect|partial|short|missing)`,
			`(denied|refused|rejected|declined) ... (refund|reimbursement)`,
			`(only|partially|partly) (\w+ ){0,1}refunded`,
			`(charged|billed|debited) (\w+ ){0,2}(twice|two_times|2_times|double|three_times)|double_charged|double_billed|overcharged`,
			`(quiero|quisiera|exijo|necesito|solicito|pido|deseo|reclamo) ... (reembolso|reembolsen|reembolsar|devuelvan|devuelva|me_regresen|mi_dinero|mi_plata|el_dinero|la_plata)`,
			`! (devuelvanme|devuelvame|devolvedme|reembolsenme|reembolseme|reembolsadme|regresenme|regresame)`,
			`! donde (esta|estan|quedo) (\w+ ){0,1}(reembolso|dinero|plata|devolucion)`,
			`~ (no|nunca|sigo_sin|aun_no|todavia_no|todavia|aun) ... (reembolsado|reembolsaron|reembolso|devuelto|devolvieron|mi_dinero|el_dinero)`,
			`(cobraron|cobrado|cobro|cargaron|cargado) ... (dos_veces|doble|de_mas|dos_cargos)`,
			`(je_veux|je_voudrais|j_exige|j_aimerais|je_demande|je_souhaite|je_reclame|j_attends) ... (rembourse|remboursee|rembourses|remboursement|mon_argent)`,
			`! (remboursez|rendez|rembourser) (moi|nous)`,
			`! rendez (moi |nous )?(mon|notre) argent`,
			`! ou (est|en_est|est_passe) (mon|le|notre) (remboursement|argent)`,
			`~ (pas|jamais|toujours|rien) ... (rembourse|remboursee|remboursement|mon_argent)`,
			`(debite|preleve|facture|paye) ... (deux_fois|2_fois|en_double)`,
			`(ich_will|will_ich|mochte|moechte|mochten|verlange|fordere|brauche|hatte_gern|hatte_gerne|haette_gern|erwarte|bestehe_auf) ... (geld_zuruck|geld_zurueck|mein_geld|erstattung|ruckerstattung|rueckerstattung|zuruckerstattet|zurueckerstattet|erstattet|ruckzahlung|rueckzahlung|gutschrift)`,
			`! (erstatten|uberweisen|ueberweisen) sie (mir|uns)`,
			`! wo (ist|bleibt) (\w+ ){0,1}(ruckerstattung|rueckerstattung|erstattung|geld|gutschrift|ruckzahlung)`,
			`~ (nicht|kein|keine|keinen|nie|noch_immer|immer_noch|warte) ... (erstattung|ruckerstattung|rueckerstattung|geld|erstattet|gutschrift|zuruckerstattet|zurueckerstattet|zuruckbekommen|zurueckbekommen)`,
			`(doppelt|zweimal|2_mal) ... (abgebucht|belastet|berechnet|bezahlt|abgezogen)`,
			`(quero|exijo|preciso|gostaria|solicito|desejo|peco) ... (reembolso|reembolsar|reembolsem|estorno|meu_dinheiro|dinheiro_de_volta|devolucao_do_dinheiro|devolvam|o_dinheiro)`,
			`! (me_devolvam|devolvam|me_reembolsem|reembolsem)`,
			`! (cade|onde_esta|onde_ta|onde_fica) (\w+ ){0,2}(reembolso|estorno|dinheiro)`,
			`~ (nao|nunca|ainda_nao|ate_agora|ainda) ... (reembolsado|reembolsada|reembolso|estorno|meu_dinheiro|dinheiro_de_volta|devolveram|devolvido)`,
			`(cobrado|cobrada|cobrados|cobraram|debitado|debitada) ... (duas_vezes|em_dobro|2_vezes)|cobranca_indevida|cobrancas_indevidas`,
			`(voglio|vorrei|esigo|pretendo|chiedo|richiedo|rivoglio) ... (rimborso|rimborsato|rimborsata|rimborsare|i_miei_soldi|soldi_indietro|soldi)`,
			`! (rimborsatemi|ridatemi|restituitemi|rimborsami)`,
			`! (dov_e|dove_e|dove) .. (rimborso|soldi)`,
			`~ (non|mai|ancora) ... (rimborsato|rimborsata|rimborso|i_miei_soldi|restituito|restituiti)`,
			`(addebitato|addebitata|addebitati|pagato|addebito|addebiti) ... (due_volte|2_volte|doppio)`,
		},
	},
	{
		name:        IntentChargeback,
		description: "The customer starts or threatens a chargeback, or disputes a charge through their bank or card.",
		examples: []string{"I'm filing a chargeback", "I will dispute this charge with my bank", "Voy a pedir un contracargo a mi banco",
			"Je vais faire opposition auprès de ma banque", "Ich lasse die Lastschrift zurückbuchen", "Vou contestar a compra no cartão",
			"Contesterò l'addebito con la banca"},
		rules: []string{
			`{chargeback}`,
			`(dispute|disputing|disputed|contest|contesting|reverse|reversing|reversed) ... (with|through|via|to|at) (my |the )?{bank}`,
			`(dispute|claim) (with|through|at|on|via) (my |the )?{bank}`,
			`(open|opened|opening|file|filed|filing|raise|raised|start|started|submit|submitted|lodge|lodged) (a |an )?(dispute|claim) (\w+ ){0,2}(with|through|at|on|via) (my |the )?{bank}`,
			`(paypal|bank|card|visa|mastercard) (dispute|claim)`,
			`(call|calling|contact|contacting|tell|telling|ask|asking|go_to|get|involve|involving) (\w+ ){0,1}(my|the) (bank|credit_card_company|card_company|card_issuer) ... (reverse|dispute|back|refund|charge|money)`,
			`(i_ll|i_will|i_m_going_to|going_to|i_am_going_to) (call|contact|go_to|tell|involve) (my )?(bank|credit_card_company|card_company|card_issuer)`,
			`(disputa|reclamacion|reclamo|desconocer|desconocere|revertir|reversar) ... (banco|tarjeta|emisor)`,
			`(llamar|llamare|contactar|contactare|hablar|hablare|acudir|acudire|avisar|avisare|reclamar|reclamare) (\w+ ){0,2}mi banco`,
			`(contester|contesterai|conteste|contestation|opposition) ... (banque|carte)`,
			`(appeler|appellerai|contacter|contacterai|voir_avec|prevenir|previendrai|saisir|saisirai|passer_par) (\w+ ){0,1}ma banque`,
			`(faire|fait|ferai|vais_faire) opposition`,
			`(bank|kreditkarte|karte|kreditkartenfirma|paypal) ... (zuruckbuchen|zurueckbuchen|zuruckholen|zurueckholen|widersprechen|anfechten|reklamieren|zuruckfordern|zurueckfordern|stornieren_lassen|zuruckgeben)`,
			`(lastschrift|zahlung|abbuchung) ... (zuruckgeben|zurueckgeben|zuruckbuchen|zurueckbuchen|widersprechen|zuruckgehen|zurueckgehen|platzen)`,
			`meine bank (\w+ ){0,3}(einschalten|kontaktieren|anrufen|informieren|beauftragen)`,
			`(contestar|contestarei|contestacao|contestei|disputa|abrir_disputa|abri_uma_disputa) ... (cartao|banco|operadora)`,
			`(ligar|ligarei|liguei|falar|falarei|acionar|acionarei|reclamar) (\w+ ){0,2}(meu_banco|o_banco|operadora_do_cartao|administradora_do_cartao|bandeira_do_cartao)`,
			`(contestare|contestero|contestazione|contestato|disconoscere|disconoscimento) ... (banca|carta|addebito|pagamento)`,
			`(chiamare|chiamero|contattare|contattero|sentire|sentiro|rivolgermi|rivolgero) (\w+ ){0,2}(la_mia_banca|la_banca|la_mia_carta|paypal)`,
			`storno ... (carta|banca)`,
		},
	},
	{
		name:        IntentFraud,
		description: "Fraud: an unauthorised charge, a stolen card or account, a hacked account, a scam.",
		examples: []string{"There's an unauthorised charge on my card", "My account was hacked", "This is a scam",
			"Me robaron la tarjeta", "Je ne reconnais pas ce prélèvement", "Mein Konto wurde gehackt", "Não reconheço essa compra",
			"Mi hanno clonato la carta"},
		rules: []string{
			`{fraud}`,
			`(unauthori[sz]ed|unknown|unrecogni[sz]ed|suspicious|strange) (\w+ ){0,1}(charge|charges|payment|payments|transaction|transactions|purchase|purchases|login|logins|access|activity|withdrawal|debit)`,
			`~ (t|not) (\w+ ){0,1}(make|made|place|placed|buy|bought|purchase|purchased|order|ordered) (this|that|these|those|any_of_these|any_of_those) (\w+ ){0,1}{payment}`,
			`~ never (\w+ ){0,1}(make|made|place|placed|buy|bought|purchase|purchased|order|ordered) (\w+ ){0,2}{payment}`,
			`~ (t|not|never) (\w+ ){0,1}(recogni[sz]e|authori[sz]e|authori[sz]ed|approve|approved) (\w+ ){0,3}{payment}`,
			`{secret} ... {stolen}`,
			`{stolen} (\w+ ){0,1}{secret}`,
			`(someone|somebody|hacker|hackers|a_stranger|they) ... (hacked|used|is_using|accessed|logged_into|got_into|took_over|stole|charged) (my|our) (\w+ ){0,1}(account|card|identity|details|password|email|paypal)`,
			`(got|been|was|were|am|i_m) hacked`,
			`(me )?(robaron|hackearon|jaquearon|clonaron|hackeo) (\w+ ){0,1}(tarjeta|cuenta|datos|identidad|contrasena)`,
			`~ {payment} (\w+ ){0,1}(no_autorizado|no_autorizada|no_autorizados|no_autorizadas|no_reconocido|no_reconocida|desconocido|desconocida|que_no_hice|que_no_realice|que_no_reconozco)`,
			`~ no (reconozco|autorice) (\w+ ){0,2}{payment}`,
			`~ no (realice|hice) (esta|este|estas|estos|ese|esa|esos|esas) {payment}`,
			`(vole|pirate|hacke) (\w+ ){0,1}(ma |mon )?(carte|compte|identite)`,
			`~ {payment} (\w+ ){0,1}(non_autorise|non_autorisee|non_autorises|inconnu|inconnue|suspect|suspecte)`,
			`~ n ai (pas|jamais) autorise (\w+ ){0,2}{payment}`,
			`~ n ai (pas|jamais) (fait|effectue|passe|valide) (ce|cet|cette|ces) {payment}`,
			`~ ne reconnais pas (\w+ ){0,2}{payment}`,
			`(gestohlene|gehackte|geklaute) (karte|kreditkarte|konto)`,
			`~ (unberechtigte|nicht_autorisierte|unbekannte|betrugerische|betruegerische) (\w+ ){0,1}{payment}`,
			`~ {payment} ... nicht (\w+ ){0,1}(autorisiert|veranlasst)`,
			`(roubaram|hackearam|invadiram|clonaram|furtaram) (\w+ ){0,1}(meu |minha |o |a )?(cartao|conta|senha|dados)`,
			`~ {payment} (\w+ ){0,1}(nao_autorizada|nao_autorizado|nao_reconhecida|nao_reconhecido|desconhecida|desconhecido)`,
			`~ nao (reconheco|autorizei) (\w+ ){0,2}{payment}`,
			`~ nao (fiz|realizei) (essa|esta|esse|este|essas|estas) {payment}`,
			`(rubato|hackerato|clonato|violato) (\w+ ){0,1}(la_mia |il_mio )?(carta|conto|account|password)`,
			`~ {payment} (\w+ ){0,1}(non_autorizzato|non_autorizzata|non_autorizzati|non_riconosciuto|non_riconosciuta|sconosciuto|sospetto)`,
			`~ non (riconosco|ho_autorizzato) (\w+ ){0,2}{payment}`,
			`~ non (ho_fatto|ho_effettuato) (questo|questa|quest|questi|queste) {payment}`,
		},
	},
	{
		name:        IntentLegal,
		description: "A lawyer, a lawsuit, court, legal action, a consumer-protection authority or regulator.",
		examples: []string{"I'll sue you", "My lawyer will contact you", "Voy a poner una denuncia en Profeco",
			"Je vais porter plainte", "Ich schalte meinen Anwalt ein", "Vou abrir uma reclamação no Procon", "Vi faccio causa"},
		rules: []string{
			`{legal}`,
			`! (sue_you|sue_your|sue_the|sue_this|sue_them|sue_u|will_sue|gonna_sue|going_to_sue|i_ll_sue|suing|my_lawyer|my_attorney|my_solicitor|lawsuit|legal_action)`,
			`(take|taking|bring|see) (you|this|it|the_matter|them|your_company|u) (\w+ ){0,1}(to )?court`,
			`(report|reporting|complain|complaint|file|filing) ... {regulator}`,
			`(consumer_protection|ombudsman|trading_standards|better_business_bureau|bbb|ftc|cfpb|consumer_rights|legal_department)`,
			`! (mi_abogado|mis_abogados|los_voy_a_demandar|voy_a_demandar|les_voy_a_demandar|los_demandare)`,
			`! (mon_avocat|je_vais_porter_plainte|vous_poursuivre)`,
			`! (meinen_anwalt|mein_anwalt|ich_verklage|werde_sie_verklagen)`,
			`! (meu_advogado|vou_processar|vou_processar_voces)`,
			`! (il_mio_avvocato|vi_faccio_causa|vi_denuncio)`,
		},
	},
	{
		name:        IntentCancellation,
		description: "The customer asks to cancel an order, a subscription or their account.",
		examples: []string{"Cancel my order please", "I want to cancel my subscription", "Quiero dar de baja mi cuenta",
			"Je souhaite résilier mon abonnement", "Bitte stornieren Sie meine Bestellung", "Quero cancelar meu pedido",
			"Vorrei disdire l'abbonamento"},
		rules: []string{
			`{cancel_want} (to )?(\w+ ){0,1}{cancel_verb}`,
			`{cancel_want} (to )?(\w+ ){0,1}{close_verb} (\w+ ){0,2}{subscription}`,
			`(cancel|terminate|close|delete|end|stop) (my|our|the|this|that) (\w+ ){0,1}{subscription}`,
			`^(please |pls |kindly )?(cancel|unsubscribe|terminate) (it|everything|me|order|subscription|account)`,
			`(please|kindly) (cancel|unsubscribe|terminate)`,
			`(unsubscribe|cancel) me`,
			`(request|requesting|want|submit|submitting) (a |the |my )?cancellation`,
			`(cancelar|anular|cerrar|eliminar|rescindir) (mi|el|la|mis) (\w+ ){0,1}{subscription}`,
			`(cancelen|cancele|anulen|anule|cierren|eliminen|cancelenme) (\w+ ){0,2}{subscription}`,
			`(dar|darme|darse|den|denme) de baja`,
			`(solicito|pido|quiero|tramitar) (la )?baja`,
			`(annuler|resilier|supprimer|fermer|cloturer) (ma|mon|mes|la|le|l|cette|ce) (\w+ ){0,1}{subscription}`,
			`(annulez|resiliez|supprimez|fermez|cloturez) (\w+ ){0,1}(ma|mon|mes|la|le|l)`,
			`(desabonnez|desinscrivez) moi`,
			`(demande_de|je_demande_la|je_demande) (\w+ ){0,1}(resiliation|annulation)`,
			`(mochte|moechte|ich_will|wollte|muss|werde|mochten|moechten|wurde_gerne|wuerde_gerne|bitte) ... {kundigen}`,
			`{kundigen} sie`,
			`hiermit ... (kundige|kuendige|widerrufe|storniere)`,
			`ich (kundige|kuendige|storniere|widerrufe)`,
			`(kundigung|kuendigung|stornierung|storno) ... (bitte|beantragen|einreichen|bestatigen|bestaetigen)`,
			`(cancelem|cancele|cancela|encerrem|excluam) (\w+ ){0,1}(meu|minha|o|a|minhas|meus)`,
			`(cancelar|encerrar|excluir) (meu|minha|o|a) (\w+ ){0,1}{subscription}`,
			`(solicito|peco|quero) (o )?cancelamento`,
			`(annullate|cancellate|disdite|chiudete|annullami|cancellami) (\w+ ){0,2}(il|la|mio|mia|l|ordine|abbonamento|account)`,
			`(annullare|cancellare|disdire|chiudere) (il_mio|la_mia|l|il|la) (\w+ ){0,1}{subscription}`,
			`(chiedo|richiedo|voglio) (la )?disdetta`,
		},
	},
	{
		name:        IntentAnger,
		description: "Clear anger: insults, profanity, shouting, \"this is unacceptable\", \"worst service\".",
		examples: []string{"This is unacceptable!", "Worst service ever", "WHY HAS NOBODY ANSWERED ME!!!", "Esto es una vergüenza",
			"C'est scandaleux", "Das ist eine Frechheit", "Que palhaçada", "Siete dei ladri"},
		rules: []string{
			`! {curse}`,
			`! {outrage}`,
			`! what the (hell|fuck|heck)|wrong with (you|your_company|your_people)`,
			`! (is|s|are|re|what|such) (a )?(complete |total |bad |fucking |sick )?joke`,
			`! worst (\w+ ){0,2}({service}|ever|purchase)`,
			`! (terrible|horrible|awful|lousy|shocking|abysmal|dreadful) (\w+ ){0,1}{service}`,
			`! (you|you_re|you_are|your_company_is|you_guys_are|ur) (\w+ ){0,2}(stupid|idiots|idiot|morons|moron|incompetent|useless|clowns|thieves|liars|crooks|pathetic|a_disgrace|the_worst)`,
			`!~ (not|never) (\w+ ){0,1}(acceptable|good_enough)`,
			`!~ never ... again`,
			`! (el|la) peor (\w+ ){0,1}{service}`,
			`! (le|la) pire (\w+ ){0,1}{service}`,
			`! pire {service}`,
			`! (c_est|vous_etes|service|vraiment|completement|totalement) (nul|nuls|nulle)`,
			`! (bin|sind|ich_bin) (\w+ ){0,1}sauer`,
			`! (der|die|das) (schlechteste|schlechtesten) (\w+ ){0,1}{service}`,
			`! schlechtester (\w+ ){0,1}{service}`,
			`!~ (nicht|no|n|nao|non) (\w+ ){0,2}(akzeptabel|aceptable|acceptable|aceitavel|accettabile)`,
			`!~ (nie_wieder|nunca_mas|plus_jamais|nunca_mais|mai_piu)`,
			`! (o|a) pior (\w+ ){0,1}{service}`,
			`! (il|la) peggiore (\w+ ){0,1}{service}|peggior_servizio`,
		},
	},
}
