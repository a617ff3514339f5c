/**
 * Options of the `constrain` mitigation (section `mitigation.constrain`, overridable per
 * profile entry): which names count as real, where the decoder constrains, and what a
 * model that cannot be constrained (a remote API) gets.
 */
import { z } from "zod";
import type { ConstrainRequest } from "../../core/parts.js";
import type { Ecosystem } from "../../packages/types.js";

const PypiListSchema = z.union([
  z.literal("all"),
  /** The `top` most downloaded PyPI projects (data/registry/pypi-popular.tsv ranks about 15,000). */
  z.strictObject({ top: z.number().int().positive() }),
]);

const NpmListSchema = z.union([
  z.literal("all"),
  /** npm packages with at least this many downloads a month in the snapshot. */
  z.strictObject({ minDownloads: z.number().int().min(0) }),
]);

/** Exact names, or patterns with one trailing `*` (`acme-*`, `@acme/*`). */
const AllowEntrySchema = z
  .string()
  .min(1)
  .max(214)
  .refine((s) => !s.slice(0, -1).includes("*"), "only a trailing '*' is supported");

/** What the provider needs to hold names while it decodes (core/parts.ts `ConstrainRequest`, less the per-call fields). */
export const DecodeOptionsSchema = z.strictObject({
  /** The name lists: the whole snapshot or a popular subset, per ecosystem. */
  names: z
    .strictObject({ pypi: PypiListSchema.default("all"), npm: NpmListSchema.default("all") })
    .default({ pypi: "all", npm: "all" }),
  /** Private packages that are never constrained away. */
  allowlist: z
    .strictObject({ pypi: z.array(AllowEntrySchema).max(10_000).default([]), npm: z.array(AllowEntrySchema).max(10_000).default([]) })
    .default({ pypi: [], npm: [] }),
  /** Where names are constrained; each can be turned off. */
  contexts: z
    .strictObject({
      install: z.boolean().default(true),
      import: z.boolean().default(true),
      list: z.boolean().default(true),
      manifest: z.boolean().default(true),
    })
    .default({ install: true, import: true, list: true, manifest: true }),
  /** conda has no name list here: hold `conda install` names to PyPI's (most conda-forge names match), or leave them open. */
  conda: z.enum(["pypi", "open"]).default("pypi"),
});
export type DecodeOptions = z.infer<typeof DecodeOptionsSchema>;

export const ConstrainOptionsSchema = DecodeOptionsSchema.extend({
  /**
   * A model whose provider cannot constrain decoding (a remote API): `error` answers 400,
   * `fallback` runs the profile `fallbackProfile` instead and says so in the report,
   * `skip` leaves the rest of the profile as it is (recorded too). Never silent.
   */
  remote: z.enum(["error", "fallback", "skip"]).default("error"),
  fallbackProfile: z.string().min(1).default("repair"),
});
export type ConstrainOptions = z.infer<typeof ConstrainOptionsSchema>;

/** The schema's options are what the core's request carries: a change to either breaks the build here. */
export function decodeRequest(options: DecodeOptions, call: { ecosystem: Ecosystem | undefined; list: boolean }): ConstrainRequest {
  const { names, allowlist, contexts, conda } = options;
  return { names, allowlist, contexts, conda, list: call.list, ...(call.ecosystem ? { ecosystem: call.ecosystem } : {}) };
}
