/**
 * The `state` section of the gateway config. Placeholder written with the skeleton;
 * the owner of src/state/ replaces it with the real schema.
 */
import { z } from "zod";

export const StateConfigSchema = z.looseObject({});
export type StateConfig = z.infer<typeof StateConfigSchema>;
