import { render } from "preact";
import { start } from "./state";
import { App } from "./ui/App";
import "./styles.css";

render(<App />, document.getElementById("app")!);
void start();
