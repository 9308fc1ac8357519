package knowledge

// DefaultSynonyms are the groups of words shoppers and the documents use
// for the same thing, which every workspace has; a workspace adds its own
// (bot settings). Each group is a handful of words or phrases, matched
// after analysis (so "parcel" also meets "parcels").
var DefaultSynonyms = [][]string{ //nolint:gochecknoglobals // read-only table
	{"refund", "money back", "reimburse", "reimbursement"},
	{"parcel", "package", "shipment", "delivery"},
	{"cost", "price", "fee", "charge", "how much"},
	{"ship", "deliver", "send"},
	{"return", "send back", "bring back", "give back"},
	{"cancel", "cancellation", "stop subscription"},
	{"buy", "purchase", "order"},
	{"account", "profile", "login"},
	{"password", "passcode"},
	{"sign in", "log in", "login"},
	{"broken", "damaged", "defective", "faulty"},
	{"track", "tracking", "where is my order"},
	{"invoice", "receipt", "bill"},
	{"subscription", "plan", "membership"},
	{"discount", "coupon", "promo code", "voucher"},
	{"size", "fit", "sizing"},
	{"exchange", "swap"},
	{"kid", "child", "children"},
	{"countries", "country", "international", "abroad", "overseas", "worldwide"},
	{"fast", "faster", "quick", "quicker", "sooner", "express"},
	{"instalments", "installments", "pay later"},
	{"remove", "delete", "erase"},
	{"export", "download"},
	{"limit", "maximum", "max"},
	{"member", "seat", "user", "teammate"},
	{"cheapest", "lowest price"},
	{"phone", "telephone"},
	{"email", "e-mail", "mail"},
	{"never arrived", "not arrived", "didn't arrive", "did not arrive", "never came", "hasn't arrived", "has not arrived",
		"not received", "never received", "didn't get", "lost", "missing"},
	// Irregular forms the stemmer does not bring together.
	{"sell", "sold"}, {"pay", "paid"}, {"send", "sent"}, {"take", "took", "taken"}, {"give", "gave", "given"},
	{"lose", "lost"}, {"break", "broke", "broken"}, {"wear", "wore", "worn"}, {"choose", "chose", "chosen"},
	{"keep", "kept"}, {"bring", "brought"}, {"come", "came"}, {"find", "found"}, {"leave", "left"},
	{"buy", "bought"}, {"get", "got", "gotten"}, {"tell", "told"}, {"write", "wrote", "written"},
}
