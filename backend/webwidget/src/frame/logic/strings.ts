// Every string the widget shows, in one place for translation. Functions
// take the values they interpolate; nothing here is HTML.

const plural = new Intl.PluralRules("en");

export const strings = {
  launcherOpen: "Open chat",
  launcherClose: "Close chat",
  unread: (n: number) => (n === 1 ? "1 unread message" : `${n} unread messages`),
  panelTitle: (workspace: string) => (workspace ? `Chat with ${workspace}` : "Chat"),
  close: "Close",
  endChat: "End chat",
  greetingFallback: "Hi! How can we help?",
  prechatIntro: "Before we start",
  nameLabel: "Your name",
  emailLabel: "Your email",
  groupLabel: "Department",
  groupAny: "Any department",
  composerLabel: "Write a message",
  composerPlaceholder: "Write a message…",
  send: "Send",
  attach: "Attach a file",
  talkToPerson: "Talk to a person",
  handoffRequested: "We're finding a person for you.",
  personJoined: (name: string) => (name ? `${name} joined the chat` : "A person joined the chat"),
  personLeft: (name: string) => (name ? `${name} left the chat` : "A person left the chat"),
  chatClosed: "This chat has ended.",
  chatReopened: "The chat was reopened.",
  handedOff: "You're now in line for a person.",
  typing: (name: string) => (name ? `${name} is typing…` : "Someone is typing…"),
  you: "You",
  sources: "Sources",
  deliverySending: "Sending…",
  deliverySent: "Sent",
  deliveryQueued: "Waiting for connection…",
  deliveryFailed: "Not sent",
  retry: "Retry",
  /** queuePosition says where a waiting chat stands: 1 is next; the others count who is ahead, with English plural rules. */
  queuePosition: (position: number) => {
    if (position <= 1) return "You're next in line.";
    const ahead = position - 1;
    return plural.select(ahead) === "one" ? "There is 1 person ahead of you." : `There are ${ahead} people ahead of you.`;
  },
  /** queueWait says a measured wait range (see QueueWait), or "" when there is none to give. */
  queueWait: (range: "few" | "5-10" | "10-20" | "20-40" | "hour" | "over" | "") =>
    ({
      few: "Expected wait: a few minutes.",
      "5-10": "Expected wait: about 5-10 minutes.",
      "10-20": "Expected wait: about 10-20 minutes.",
      "20-40": "Expected wait: about 20-40 minutes.",
      hour: "Expected wait: within the hour.",
      over: "Expected wait: more than an hour.",
      "": "",
    })[range],
  queueAway: (emailKnown: boolean) =>
    emailKnown
      ? "Our team is away right now. They will reply in this chat and by email as soon as they are back."
      : "Our team is away right now. They will reply in this chat as soon as they are back.",
  askEmail: "Leave your email so they can reach you there too:",
  emailPlaceholder: "you@example.com",
  saveEmail: "Save",
  emailSaved: (email: string) => `Thanks! They will also reply to ${email}.`,
  emailInvalid: "Please enter a valid email address.",
  transcriptToggle: "Email me a copy of this chat",
  transcriptLabel: "Send the copy to:",
  transcriptSend: "Send",
  transcriptSent: (email: string) => `A copy of this chat is on its way to ${email}.`,
  // The address was not verified: a confirmation mail went to it, and its link sends the copy.
  transcriptConfirm: "Check your inbox to confirm your address; the copy follows.",
  waitingForTeam: "Waiting for the team",
  aiAssistant: "AI assistant",
  helperBot: (name: string) => `${name} · AI assistant`,
  helperAgent: "Support team",
  answeredWhileWaiting: "Answered by the AI assistant while you wait for a person",
  newMessages: "New messages",
  offlineDefault: "Our team is offline right now. Leave a message and we'll get back to you.",
  connectionLost: "Connection lost. Reconnecting…",
  connectionBack: "Connected again.",
  fileTooBig: (name: string, limit: string) => `"${name}" is too big. Files can be at most ${limit}.`,
  fileUploading: (name: string) => `Uploading ${name}…`,
  fileFailed: (name: string) => `Could not upload "${name}".`,
  fileDownload: (name: string, size: string) => `Download ${name} (${size})`,
  fileLimit: (limit: string) => `Files up to ${limit}`,
  record: "Record a voice message",
  micAsking: "Waiting for the microphone…",
  recording: "Recording",
  recordingLimit: (limit: string) => `Voice messages stop at ${limit}.`,
  recordingCancel: "Cancel",
  recordingSend: "Send voice message",
  voiceMessage: (length: string) => (length ? `Voice message, ${length}` : "Voice message"),
  voiceFailed: "This voice message could not be loaded.",
  micProblem: {
    denied: "The chat may not use your microphone. Allow it in your browser to send a voice message.",
    missing: "No microphone was found. Connect one to send a voice message.",
    busy: "Your microphone could not start. Another app may be using it.",
    failed: "Recording did not work. Please try again.",
    empty: "Nothing was recorded. Please try again.",
  },
  csatQuestion: "How was this chat?",
  csatScore: (n: number) => ["", "Very bad", "Bad", "Okay", "Good", "Very good"][n] ?? String(n),
  csatComment: "Anything else to tell us? (optional)",
  csatSubmit: "Send rating",
  csatThanks: "Thanks for your feedback!",
  newChat: "Start a new chat",
  sessionExpired: "This chat session has expired. Start a new chat to continue.",
  messageTooLong: "This message is too long to send. Please shorten it or send it in parts.",
  error: {
    generic: "Something went wrong. Please try again.",
    network: "You're offline. We'll send it when you're back.",
    invalid: "That couldn't be sent: please check what you wrote.",
    tooMany: "You're sending too fast. Please wait a moment.",
    notAllowed: "This chat can't be changed any more.",
    expired: "Your chat session has expired.",
  },
  bytes: (n: number) => {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
    return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  },
} as const;

export type Strings = typeof strings;
