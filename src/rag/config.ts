/**
 * The `rag` section of the gateway config. Placeholder written with the skeleton;
 * the owner of src/rag/ replaces it with the real schema.
 */
import { z } from "zod";

export const RagConfigSchema = z.looseObject({});
export type RagConfig = z.infer<typeof RagConfigSchema>;
