/**
 * The `packages` section of the gateway config. Placeholder written with the skeleton;
 * the owner of src/packages/ replaces it with the real schema.
 */
import { z } from "zod";

export const PackagesConfigSchema = z.looseObject({});
export type PackagesConfig = z.infer<typeof PackagesConfigSchema>;
