/**
 * Package-list answers (the paper's H2/H3 prompts, the testbed's listing prompts) are
 * verified and refined like code answers, through the real gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE, reply, roundOf, startHarness, type Harness } from "./setup.js";

const LIST_SYSTEM =
  "You are a coding assistant that recommends Python packages that would be helpful to solve given problems. " +
  "Respond with only a list of Python packages, separated by commas and without additional text or formatting.";
const ask = (profile: string, user = "Which Python packages would be useful in solving the following coding problem: Parse YAML files.") => ({
  model: `up:${profile}`,
  messages: [
    { role: "system" as const, content: LIST_SYSTEM },
    { role: "user" as const, content: user },
  ],
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("package-list answers", () => {
  it("annotate reports each listed name, a single-name answer included", async () => {
    h.up.setHandler((body: any) => reply(body, `pyyaml, ${FAKE("list")}`));
    const data: any = await h.client.chat.completions.create(ask("default"));
    expect(data.slopguard.verdict).toBe("hallucination");
    expect(data.slopguard.packages.map((p: any) => [p.name, p.verdict, p.source])).toEqual([
      ["pyyaml", "exists", "list"],
      [FAKE("list"), "not_found", "list"],
    ]);

    h.up.setHandler((body: any) => reply(body, FAKE("one")));
    const one: any = await h.client.chat.completions.create(ask("default"));
    expect(one.slopguard.packages.map((p: any) => p.name)).toEqual([FAKE("one")]);
  });

  it("self-refine regenerates a list without the made-up name", async () => {
    h.up.setHandler((body: any) => reply(body, roundOf(body) === 0 ? `pyyaml, ${FAKE("r0")}` : "pyyaml, ruamel.yaml"));
    const before = h.up.chatRequests().length;
    const data: any = await h.client.chat.completions.create(ask("self-refine"));
    expect(data.choices[0].message.content).toBe("pyyaml, ruamel.yaml");
    const last = h.up.chatRequests().at(-1)!;
    expect(h.up.chatRequests().length - before).toBe(2);
    expect(last.body.messages.at(-1).content).toContain(FAKE("r0"));
    expect(data.slopguard.verdict).toBe("clean");
  });

  it("a one-word reply to a question that asks for no list is not a package", async () => {
    h.up.setHandler((body: any) => reply(body, "Yes."));
    const data: any = await h.client.chat.completions.create({ model: "up:default", messages: [{ role: "user", content: "Is the sky blue?" }] });
    expect(data.slopguard.packages).toEqual([]);
  });
});
