/**
 * The scam intents callguard hears in words, and the phrases that express them. Phrases are written in the
 * recogniser's spoken form (lower case, numbers as words) in a small pattern language, compiled by intent-matcher.ts:
 *   word        that word                      a|b|c   any one of them
 *   ?word       optional word (also ?a|b)      *       up to two words of anything
 * A phrase must be specific enough that an everyday call does not say it: "read me the code" is a request, "the door
 * code is" is not (see `blockedBefore`). Calibrated on ../shared/data/scam-text (vishing vs safe rows) and our own
 * everyday texts; evaluated on held-out scripts read by TTS voices and on real recordings (docs/SPOKEN-CONTENT.md).
 */

/** Intent ids: what crosses into the policy (never the words). */
export const INTENTS = [
  'authority.bank',
  'authority.police',
  'authority.tax',
  'authority.tech',
  'authority.delivery',
  'ask.code',
  'ask.credentials',
  'pay.giftcard',
  'pay.crypto',
  'pay.transfer',
  'pay.remote',
  'secrecy',
  'urgency',
  'threat',
] as const;
export type IntentName = (typeof INTENTS)[number];

/** The policy's categories of intent: each accumulates its own evidence. */
export type IntentCategory = 'authority' | 'ask' | 'pay' | 'secrecy' | 'urgency' | 'threat';
export const INTENT_CATEGORY: Readonly<Record<IntentName, IntentCategory>> = {
  'authority.bank': 'authority',
  'authority.police': 'authority',
  'authority.tax': 'authority',
  'authority.tech': 'authority',
  'authority.delivery': 'authority',
  'ask.code': 'ask',
  'ask.credentials': 'ask',
  'pay.giftcard': 'pay',
  'pay.crypto': 'pay',
  'pay.transfer': 'pay',
  'pay.remote': 'pay',
  secrecy: 'secrecy',
  urgency: 'urgency',
  threat: 'threat',
};

const BANK = "bank|bank's|banks|card|visa|mastercard|barclays|chase|santander|lloyds|hsbc|citibank|natwest";

/** Phrases per intent (each token is one word position; see the header for the syntax). */
export const INTENT_PHRASES: Readonly<Record<IntentName, readonly string[]>> = {
  'authority.bank': [
    `calling from ?the ?your * ${BANK}`,
    `this is ?the ?your ${BANK} fraud|security`,
    `fraud department|team|prevention|investigation|unit|squad|office|division|desk`,
    `i'm|i am calling|ringing from ?the ?your ${BANK}`,
    `work|working in|for ?the ?your * ${BANK}`,
    `security department|team of ?your ?the ${BANK}`,
    `from ?the ?your ${BANK} * fraud|security`,
    `your ${BANK} account|card has|was|is|have been|being compromised|hacked|blocked|suspended|frozen|used|cloned`,
    `suspicious|unauthorized|unauthorised|fraudulent ` +
      `activity|transaction|transactions|charge|charges|payment|payments|purchase|purchases`,
  ],
  'authority.police': [
    `calling|this|i'm|we're from ?the police|sheriff's|sheriff`,
    `police department|station|officer|detective|headquarters`,
    `?i am|i'm ?a ?an officer|detective|agent|constable|inspector|sergeant`,
    `federal agent|bureau|investigation|police`,
    `special agent|investigator`,
    `fbi|interpol|dea`,
    `your badge|case number`,
  ],
  'authority.tax': [
    `internal revenue`,
    `irs|hmrc`,
    `tax department|office|authority|authorities|agency|officer|investigation`,
    `social security administration|office|department`,
    `from ?the ?your revenue|benefits|pension|government|treasury department|office|agency|service`,
    `your social security number has|was|is|have been|being suspended|compromised|blocked|cancelled`,
    `tax fraud|evasion|debt|owed|arrears|audit`,
    `you owe * tax|taxes|government|irs`,
  ],
  'authority.tech': [
    `microsoft|windows|apple|icloud support|technical|security|team|department|technician|technicians`,
    `amazon support|security|customer|department|account|prime|order`,
    `tech support`,
    `technical support|department|team`,
    `computer|customer support|department|technician`,
    `your computer|device|system|pc|laptop|router|phone is|has|was|have been|being infected|hacked|compromised|sending`,
    `virus|viruses|malware|hackers|hacker on|in|into ?your computer|device|system|network|phone`,
    `your ip address`,
    `refund department|amount|process`,
  ],
  'authority.delivery': [
    `your parcel|package|shipment|delivery is|was|has|have been held|stopped|suspended|seized|on hold|waiting`,
    `customs fee|charge|duty|clearance|department|office`,
    `delivery fee|charge`,
    `redelivery|re-delivery fee|charge`,
  ],
  'ask.code': [
    `read|tell|give|send|confirm|share|provide|repeat * ?me ?us ?the ?that ?this code|codes|pin|passcode|otp`,
    `code|pin|passcode * we|i|they|bank just ?have sent|texted`,
    `code|pin * sent|texted|coming to your phone|mobile|number|email`,
    `verification|security|confirmation|authorization|authorisation|authentication|access code|pin|number`,
    `one time password|code|pin|passcode`,
    `six|four|eight digit code|number|pin`,
    `read|tell|give * ?that ?the ?this number|numbers|digits|code back`,
    `read ?it|that|them back to me|us`,
    `system|we|i will|going to|just text|send|sent|texted you ?a ?the ?short`,
    `text|message|sms with|containing ?a ?the code|number|pin`,
    `?what is|what's the code|pin`,
  ],
  'ask.credentials': [
    `card number|details|information|expiry|expiration`,
    `long number on ?the ?your card`,
    `three digit|digits number|code on the back`,
    `your password|passwords|login|username|pin`,
    `online banking password|login|details`,
    `give|tell|confirm|verify|provide * me|us ?your ?the full|account|bank|routing|sort|social|card ` +
      `number|details|information`,
    `your social security number`,
    `your account number|details`,
    `your sort code|routing number|date of birth|maiden name`,
    `log into|onto ?your online ?bank|banking|account`,
    `log in to ?your online ?bank|banking|account`,
    `verify your identity|account|details|information`,
  ],
  'pay.giftcard': [
    `gift card|cards|voucher|vouchers`,
    `itunes|steam|ebay card|cards|voucher|vouchers`,
    `google play card|cards|voucher|vouchers`,
    `scratch ?off the back|silver|strip`,
    `numbers|code|codes on the back of ?the ?each ?every card|cards`,
    `buy|purchase|get * cards from|at ?the ?a store|shop|walmart|target|pharmacy|supermarket`,
  ],
  'pay.crypto': [
    `bitcoin|crypto|cryptocurrency|ethereum|coinbase|binance|usdt`,
    `crypto|bitcoin atm|machine|wallet|address`,
  ],
  'pay.transfer': [
    `safe|secure|protected|holding|safety|temporary account|accounts|wallet`,
    `new account we|i have opened|set up|created`,
    `move|transfer|wire|send * ?your ?the ?all money|funds|savings|balance|cash`,
    `wire transfer|the money`,
    `withdraw|take out ?the ?your * cash|money|funds|savings`,
    `western union|moneygram|zelle|venmo|cashapp`,
    `cash app`,
    `money order`,
    `courier will|to collect|pick up ?the ?your cash|money|card|envelope`,
    `hand ?over ?the cash|money|card to ?the ?our`,
    `pay ?the ?a fine|fee|penalty|bail|settlement`,
  ],
  'pay.remote': [
    `anydesk|teamviewer|ultraviewer|supremo|logmein`,
    `remote desktop|access|support|control|connection`,
    `download|install * app|application|program|software`,
    `give|let|allow me|us ?have access|control to|of ?your computer|screen|device|phone`,
    `connect|connected to your computer|device|screen`,
    `type|go to * www|website|browser`,
    `press|hit ?the windows key|button`,
  ],
  secrecy: [
    `?do don't|not|never tell|discuss|mention ?this ?it ?to anyone|anybody|your`,
    `?do don't|not|never speak|talk to|with anyone|anybody|your|the`,
    `?do don't|not|never hang|put up|down`,
    `?do don't|not disconnect|end the call`,
    `stay|keep|remain on the line|phone|call`,
    `keep this|it ?strictly confidential|secret|private|between us`,
    `keep * ?this ?our ?the conversation|call|matter to yourself`,
    `between you and me|us`,
    `?do don't|not|never share ?it|this with anyone|anybody|your`,
    `warning does not|doesn't apply`,
    `even from your|people family|home|wife|husband|children`,
    `this is|call is ?strictly confidential|secret|classified`,
    `bank staff|employees|teller|cashier|manager may|might be|are involved|corrupt|in`,
    `if|when they|anyone|someone|anybody|staff ask|asks * tell|say`,
    `?do don't|not|never share|mention * with ?the anyone|anybody|staff|bank|family|cashier|teller|police`,
    `?do don't|not|never tell * the real reason`,
  ],
  urgency: [
    `right now|away`,
    `immediately|urgently|urgent`,
    `within the next|an|one|two|twenty|twenty-four|the hour|hours|minutes`,
    `final notice|warning|attempt|reminder`,
    `before it's too late`,
    `before it is too late`,
    `as soon as possible`,
    `time is running out`,
    `last chance|opportunity`,
  ],
  threat: [
    `arrest|arrested|warrant|jail|prison`,
    `legal|court action|proceedings|case|summons`,
    `lawsuit|sued|prosecuted|prosecution|lawsuits`,
    `account|accounts|card|number will|would|is|has|have ?be|been ` +
      `suspended|frozen|blocked|closed|terminated|seized|cancelled`,
    `lose|losing all ?of ?your ?the money|savings|funds|everything`,
    `you will|could|may be fined|charged|penalized|deported|arrested|prosecuted`,
    `police will|are going to come|arrive|be`,
    `disconnect|disconnected|cut off ?your service|power|electricity|internet`,
  ],
};

/**
 * Words that make the next word benign for an intent: "door code", "postcode", "discount code", "zip code".
 * Checked against the word before the phrase's first and last word.
 */
export const BLOCKED_BEFORE: Readonly<Partial<Record<IntentName, readonly string[]>>> = {
  'ask.code': [
    'door',
    'gate',
    'discount',
    'promo',
    'promotional',
    'post',
    'zip',
    'area',
    'dress',
    'bar',
    'lock',
    'alarm',
    'wifi',
    'voucher',
    'booking',
    'parking',
    'locker',
    'building',
    'referral',
    'coupon',
    'country',
    'dialling',
    'dialing',
    'tax',
  ],
  'ask.credentials': [
    'wifi',
    'wi-fi',
    'door',
    'gate',
    'guest',
    'tracking',
    'order',
    'reference',
    'booking',
    'confirmation',
    'flight',
    'table',
    'room',
  ],
  'pay.transfer': ['drive', 'trip', 'journey', 'flight'],
  secrecy: ['surprise', 'party'],
};
