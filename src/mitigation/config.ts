/**
 * The `mitigation` section of the gateway config. Placeholder written with the skeleton;
 * the owner of src/mitigation/ replaces it with the real schema.
 */
import { z } from "zod";

export const MitigationConfigSchema = z.looseObject({});
export type MitigationConfig = z.infer<typeof MitigationConfigSchema>;
