// Every method the views call, one for one with the desktop's app.App
// (internal/app/bind_*.go): the compiler holds the list to Bound.
import type { Bound } from "../../bridge";
import type { Core } from "../core";
import { botBinds } from "./bot";
import { composeBinds } from "./compose";
import { controlBinds } from "./controls";
import { emailBinds } from "./email";
import { fileBinds } from "./files";
import { inboxBinds } from "./inbox";
import { knowledgeBinds } from "./knowledge";
import { presenceBinds } from "./presence";
import { sessionBinds } from "./session";
import { voiceBinds } from "./voice";
import { webhookBinds } from "./webhooks";

/** appBinds returns the methods of the web host. */
export function appBinds(c: Core): Bound {
  const app: Bound = {
    ...sessionBinds(c),
    ...inboxBinds(c),
    ...composeBinds(c),
    ...controlBinds(c),
    ...presenceBinds(c),
    ...emailBinds(c),
    ...webhookBinds(c),
    ...fileBinds(c),
    ...voiceBinds(c),
    ...botBinds(c),
    ...knowledgeBinds(c),
  };
  return app;
}
