import cases from "../../../backend/internal/canned/testdata/render_cases.json";
import { describe, expect, it } from "vitest";
import { render, variables } from "../src/logic/canned";

// The cases the server's renderer passes too (backend/internal/canned/render_test.go).
const file = cases as { vars: Record<string, string>; cases: { name: string; body: string; want: string; unresolved: string[] }[] };

describe("canned rendering agrees with the server", () => {
  for (const c of file.cases) {
    it(c.name, () => {
      const got = render(c.body, file.vars);
      expect(got.text).toBe(c.want);
      expect(got.unresolved).toEqual(c.unresolved);
      // The segments spell the text, with the gaps marked.
      expect(got.segments.map((s) => ("text" in s ? s.text : "")).join("")).toBe(c.want);
    });
  }
});

describe("preview segments", () => {
  it("marks each variable that rendered as nothing where it stood", () => {
    expect(render("Hi {{customer.name}}! Order {{customer.order_id | unknown}}.", { "customer.name": "" }).segments).toEqual([
      { text: "Hi" },
      { unresolved: "customer.name" },
      { text: "! Order unknown." },
    ]);
  });
  it("never shows Hi !", () => {
    expect(render("Hi {{customer.name}} !", {}).text).toBe("Hi !");
    expect(render("Hi {{customer.name}}!", {}).text).toBe("Hi!");
  });
});

describe("variables", () => {
  it("are the server's: verified attributes win, name and email win over attributes", () => {
    const v = variables(
      { name: "", email: "a@b.test", verifiedAttributes: { plan: "pro", name: "Signed" }, unverifiedAttributes: { plan: "free", color: "blue" } },
      "Grace",
      "c1",
      "Shop",
    );
    expect(v).toEqual({
      "customer.plan": "pro",
      "customer.color": "blue",
      "customer.name": "",
      "customer.email": "a@b.test",
      "agent.name": "Grace",
      "conversation.id": "c1",
      "workspace.name": "Shop",
    });
  });
});
