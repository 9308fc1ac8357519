// The agent web app's entry (web.html): the browser host, then the same
// views as the desktop app.
import { render } from "preact";
import { useHost } from "../bridge";
import { start } from "../state";
import { App } from "../ui/App";
import { createWebHost } from "./host";
import "../styles.css";

useHost(createWebHost());
render(<App />, document.getElementById("app")!);
void start();

// The service worker keeps the app shell, so the app opens offline and can
// be installed (backend/webapp/sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}
