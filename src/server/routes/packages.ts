/**
 * POST /v1/packages/check: `{text | code | packages[], ecosystem?, language?}` → the
 * package report (each package with verdict, source, line, risks, suggestion; totals).
 */
import { Router } from "express";
import { z } from "zod";
import type { PackageChecker } from "../../packages/types.js";
import { ApiError, fromZod } from "../errors.js";

const MAX_TEXT = 512 * 1024;

export const PackagesCheckRequestSchema = z
  .strictObject({
    text: z.string().max(MAX_TEXT).optional(),
    code: z.string().max(MAX_TEXT).optional(),
    packages: z.array(z.string().max(300)).max(1000).optional(),
    ecosystem: z.enum(["pypi", "npm"]).optional(),
    language: z.string().max(32).optional(),
  })
  .refine((b) => b.text !== undefined || b.code !== undefined || b.packages !== undefined, {
    message: "one of 'text', 'code' or 'packages' is required",
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
    const { ecosystem, language, text, code, packages } = parsed.data;
    const report = await checker.check(
      { ...(text !== undefined ? { text } : {}), ...(code !== undefined ? { code } : {}), ...(packages ? { packages } : {}), ...(ecosystem ? { ecosystem } : {}), ...(language ? { language } : {}) },
      { signal: abort.signal },
    );
    res.json({ object: "packages.check", ...report });
  });
  return router;
}
