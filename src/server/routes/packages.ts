/**
 * POST /v1/packages/check: `{text | code | packages[] | toolCalls[], ecosystem?, language?, tools?}`
 * → the package report (each package with verdict, source, line, risks, suggestion, and for
 * tool calls where it was found; totals). The same check verify runs on an answer.
 */
import { Router } from "express";
import { z } from "zod";
import type { PackageChecker } from "../../packages/types.js";
import { ToolSpecsSchema } from "../../packages/toolcalls/config.js";
import { ApiError, fromZod } from "../errors.js";
import { lookupBudgetOf } from "../rate-limit.js";

const MAX_TEXT = 512 * 1024;

export const PackagesCheckRequestSchema = z
  .strictObject({
    text: z.string().max(MAX_TEXT).optional(),
    code: z.string().max(MAX_TEXT).optional(),
    packages: z.array(z.string().max(300)).max(1000).optional(),
    ecosystem: z.enum(["pypi", "npm"]).optional(),
    language: z.string().max(32).optional(),
    toolCalls: z.array(z.strictObject({ id: z.string().min(1).max(200), name: z.string().min(1).max(200), input: z.string().max(MAX_TEXT) })).max(64).optional(),
    tools: ToolSpecsSchema.optional(),
  })
  .refine((b) => b.text !== undefined || b.code !== undefined || b.packages !== undefined || b.toolCalls !== undefined, {
    message: "one of 'text', 'code', 'packages' or 'toolCalls' is required",
    path: ["text"],
  });

export function packagesRouter(checker: PackageChecker): Router {
  const router = Router();
  router.post("/v1/packages/check", async (req, res) => {
    res.locals.route = "/v1/packages/check";
    if (req.body === null || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new ApiError(400, "The request body must be a JSON object", { code: "invalid_json" });
    }
    const parsed = PackagesCheckRequestSchema.safeParse(req.body);
    if (!parsed.success) throw fromZod(parsed.error);
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const { ecosystem, language, text, code, packages, toolCalls, tools } = parsed.data;
    const input = {
      ...(text !== undefined ? { text } : {}), ...(code !== undefined ? { code } : {}), ...(packages ? { packages } : {}),
      ...(ecosystem ? { ecosystem } : {}), ...(language ? { language } : {}), ...(toolCalls ? { toolCalls } : {}), ...(tools ? { tools } : {}),
    };
    const report = await checker.check(input, { signal: abort.signal, lookupBudget: lookupBudgetOf(res) });
    res.json({ object: "packages.check", ...report });
  });
  return router;
}
