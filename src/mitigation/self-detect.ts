/** The paper's self-detection: ask the same model "Is {package} a valid Python package?". */
import pLimit from "p-limit";
import type { Generation, ModelCall } from "../core/parts.js";
import { addUsage, textOf } from "../core/stream.js";
import type { CheckedPackage } from "../packages/types.js";
import type { SelfRefineOptions } from "./config.js";
import { languageWord, render, type Templates } from "./templates.js";
import type { MitigationContext } from "./types.js";

export interface SelfAnswer {
  package: string;
  answer: "yes" | "no" | "unclear";
  registry: CheckedPackage["verdict"];
}

export async function askModel(args: {
  deps: { options: SelfRefineOptions; templates: Templates };
  generate: (call: ModelCall) => Promise<Generation>;
  call: ModelCall;
  ctx: MitigationContext;
  pkgs: CheckedPackage[];
  tokens: { usage: Generation["usage"] };
}): Promise<SelfAnswer[]> {
  const { deps, ctx, tokens } = args;
  const limit = pLimit(4);
  const asked = args.pkgs.slice(0, deps.options.detectMaxPackages);
  return Promise.all(
    asked.map((p) =>
      limit(async (): Promise<SelfAnswer> => {
        if (ctx.signal.aborted) throw new Error("client disconnected");
        const eco = p.ecosystem === "npm" ? "npm" : "pypi";
        // A fresh call: the same model (and adapter), none of the conversation's tools or extras.
        const question: ModelCall = {
          prompt: [
            { role: "system", content: [{ type: "text", text: deps.templates["selfRefine.detectSystem"] }] },
            { role: "user", content: [{ type: "text", text: render(deps.templates["selfRefine.detectQuestion"], { package: p.name, language: languageWord(eco) }) }] },
          ],
          temperature: deps.options.detectTemperature,
          maxOutputTokens: deps.options.detectMaxTokens,
          ...(args.call.adapter ? { adapter: args.call.adapter } : {}),
        };
        const answer = await args.generate(question);
        tokens.usage = addUsage(tokens.usage, answer.usage);
        return { package: p.name, answer: parseYesNo(textOf(answer.content)), registry: p.verdict };
      }),
    ),
  );
}

export function parseYesNo(text: string): SelfAnswer["answer"] {
  const t = text.trim().toLowerCase();
  if (/^(yes|y\b|true|valid|it is|correct)/.test(t)) return "yes";
  if (/^(no|n\b|false|invalid|not)/.test(t)) return "no";
  return "unclear";
}
