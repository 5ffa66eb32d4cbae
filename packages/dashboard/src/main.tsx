/** The dashboard's entry: one Preact tree in #app (see app.tsx). */
import { render } from "preact";
import { App } from "./app.js";

render(<App />, document.getElementById("app")!);
