import { Router } from "express";
import type { Config, ModelConfig } from "../../config/schema.js";
import { ApiError } from "../errors.js";
import { splitModelName } from "../service.js";

const CREATED = Math.floor(Date.now() / 1000);

function describe(m: ModelConfig) {
  return { id: m.name, object: "model", created: CREATED, owned_by: "slopguard", provider: m.provider, profile: m.profile };
}

/** GET /v1/models and /v1/models/:id, from the config (public names only). */
export function modelsRouter(config: Config): Router {
  const router = Router();
  router.get("/v1/models", (_req, res) => {
    res.locals.route = "/v1/models";
    res.json({ object: "list", data: config.models.map(describe) });
  });
  router.get("/v1/models/:id", (req, res) => {
    res.locals.route = "/v1/models/:id";
    const { name } = splitModelName(req.params.id);
    const model = config.models.find((m) => m.name === name);
    if (!model) throw new ApiError(404, `The model '${req.params.id}' does not exist`, { code: "model_not_found", param: "model" });
    res.json(describe(model));
  });
  return router;
}
