/**
 * `npm run bench:toolcalls`: the time a tool-call check adds, median and p99, for a 2 KB
 * shell command (an agent's `Bash` call) and for a 200-line `package.json` write, each side
 * by side with a plain-text check of the same bytes (the same content in a fenced block).
 * Snapshot mode (offline), warm, in-memory watchlist; the four are interleaved round by
 * round so load on a shared machine hits them alike, and ratios are reported.
 */
import { performance } from "node:perf_hooks";
import { createPackageChecker } from "../src/packages/index.js";
import type { CheckInput } from "../src/packages/types.js";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
const ROUNDS = Number(process.env.ROUNDS ?? 3000);

// A 2 KB command as agents send them: a chain, a venv, env prefixes, a heredoc that writes
// requirements.txt, continuation lines, npm installs and an npx scaffold.
const command = [
  "set -euo pipefail",
  "cd /workspace/app && python3 -m venv .venv && . .venv/bin/activate",
  "PIP_DISABLE_PIP_VERSION_CHECK=1 python -m pip install --upgrade pip setuptools wheel",
  "cat > requirements.txt <<'EOF'",
  "fastapi==0.111.0", "uvicorn[standard]==0.30.1", "sqlalchemy>=2.0", "alembic", "pydantic-settings", "httpx",
  "python-dotenv", "passlib[bcrypt]", "python-jose[cryptography]", "celery[redis]", "redis>=5", "fastapi-jwt-easy",
  "EOF",
  "pip install -r requirements.txt",
  "pip install --no-cache-dir \\",
  "  pytest pytest-asyncio pytest-cov \\",
  "  ruff mypy types-requests \\",
  "  pandas numpy scikit-learn matplotlib seaborn \\",
  "  boto3 boto3-s3-helper-kit",
  "cd ../web && npm install --save react react-dom react-router-dom @tanstack/react-query axios zod",
  "npm install --save-dev typescript vite @vitejs/plugin-react eslint prettier vitest @testing-library/react jsdom",
  "npm i -D tailwindcss postcss autoprefixer lodahs-utils && npx tailwindcss init -p",
  "npx -y create-vite@latest admin -- --template react-ts",
  "cd admin && pnpm add @emotion/react @emotion/styled @mui/material @mui/icons-material chart.js react-chartjs-2",
  "yarn add -D @types/node @types/react @types/react-dom && yarn build",
  "cd /workspace/app && alembic upgrade head && uvicorn app.main:app --host 0.0.0.0 --port 8000 &",
  "sleep 2 && curl -sf http://127.0.0.1:8000/health | jq . && echo 'backend up'",
  "git add -A && git commit -m \"chore: install dependencies (pip install -r requirements.txt)\"",
  "docker compose up -d postgres redis && docker compose exec -T api pip install psycopg2-binary",
  "uv tool install ruff && uvx --from httpie http GET :8000/health && pipx run cookiecutter --version",
  "conda install -y -c conda-forge gdal=3.8 rasterio && mamba install -n geo geopandas shapely pyproj",
  "(cd web && bun add hono @hono/node-server && bunx @biomejs/biome check .) || echo 'web setup failed, continuing'",
  "for svc in api worker scheduler; do docker compose logs --tail=20 \"$svc\" || true; done",
  "npm run lint -- --fix && npm test -- --run && git push origin HEAD",
  "echo 'done: pip and npm dependencies installed, services started, migrations applied, dev servers up'",
].join("\n");

// A 200-line package.json of real npm names.
const deps = ["react", "react-dom", "react-router-dom", "@tanstack/react-query", "axios", "zod", "express", "cors", "dotenv", "helmet", "morgan",
  "jsonwebtoken", "bcryptjs", "mongoose", "pg", "ioredis", "uuid", "dayjs", "lodash", "chalk", "commander", "yargs", "winston", "pino", "nanoid",
  "date-fns", "ramda", "rxjs", "cheerio", "node-fetch", "ws", "socket.io", "multer", "sharp", "passport", "passport-jwt", "class-validator",
  "@reduxjs/toolkit", "react-redux", "styled-components", "@emotion/react", "framer-motion", "three", "d3", "chart.js", "react-chartjs-2",
  "swr", "graphql", "@apollo/client", "openai", "fastify", "koa", "hono", "@prisma/client", "knex", "sequelize", "mysql2", "redis", "got",
  "body-parser", "cookie-parser", "compression", "express-session", "express-validator", "nodemailer", "stripe", "aws-sdk", "@aws-sdk/client-s3",
  "firebase", "next", "vue", "svelte", "@sveltejs/kit", "lodash-es", "immer", "zustand", "jotai", "clsx", "classnames", "react-hook-form",
  "yup", "formik", "i18next", "react-i18next", "marked", "highlight.js", "prismjs", "qs"];
const devDeps = ["typescript", "@types/node", "@types/express", "@types/react", "@types/react-dom", "@types/jest", "jest", "ts-jest", "vitest",
  "eslint", "prettier", "eslint-config-prettier", "@typescript-eslint/parser", "@typescript-eslint/eslint-plugin", "eslint-plugin-react",
  "husky", "lint-staged", "concurrently", "cross-env", "rimraf", "nodemon", "ts-node", "tsx", "supertest", "@testing-library/react",
  "vite", "@vitejs/plugin-react", "webpack", "esbuild", "rollup", "tailwindcss", "postcss", "autoprefixer", "sinon", "chai", "mocha", "nock",
  "msw", "@playwright/test", "puppeteer", "storybook", "@storybook/react", "turbo", "nx", "npm-run-all", "http-server", "serve", "json-server",
  "@biomejs/biome", "jsdom", "c8", "nyc", "typedoc", "size-limit", "@size-limit/preset-app", "semantic-release", "standard-version", "np",
  "depcheck", "madge", "knip", "patch-package", "prisma", "dotenv-cli", "wait-on", "kill-port", "pm2", "tsup", "unbuild", "vite-node",
  "@vitest/coverage-v8", "happy-dom", "playwright", "cypress", "start-server-and-test", "ts-node-dev", "tslib", "source-map-support",
  "@changesets/cli", "commitizen", "cz-conventional-changelog", "@commitlint/cli", "@commitlint/config-conventional", "shx", "ncp", "del-cli",
  "glob", "fs-extra", "execa", "zx", "ora", "listr2", "inquirer", "prompts", "degit", "open"];
const pkg = JSON.stringify({
  name: "bench-app", version: "1.0.0", private: true, type: "module",
  scripts: { dev: "vite", build: "tsc && vite build", test: "vitest run", lint: "eslint ." },
  dependencies: Object.fromEntries(deps.map((d) => [d, "^1.0.0"])),
  devDependencies: Object.fromEntries(devDeps.map((d) => [d, "^1.0.0"])),
}, null, 2);

const cases: { label: string; tool: CheckInput; text: CheckInput; bytes: number; lines: number }[] = [
  {
    label: "2 KB shell command (Bash)", bytes: Buffer.byteLength(command), lines: command.split("\n").length,
    tool: { toolCalls: [{ id: "call_1", name: "Bash", input: JSON.stringify({ command, description: "Set up the project" }) }] },
    text: { text: "```bash\n" + command + "\n```" },
  },
  {
    label: "200-line package.json write (Write)", bytes: Buffer.byteLength(pkg), lines: pkg.split("\n").length,
    tool: { toolCalls: [{ id: "call_1", name: "Write", input: JSON.stringify({ file_path: "/repo/package.json", content: pkg }) }] },
    text: { text: "```json\n" + pkg + "\n```" },
  },
];

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
for (const c of cases) {
  const [tool, text] = [await checker.check(c.tool), await checker.check(c.text)];
  console.log(`${c.label}: ${c.bytes} B, ${c.lines} lines; tool call → ${tool.totals.packages} packages (${tool.verdict}), same bytes as text → ${text.totals.packages} packages`);
}
for (let i = 0; i < 300; i++) for (const c of cases) { await checker.check(c.tool); await checker.check(c.text); }

const times = cases.map(() => ({ tool: [] as number[], text: [] as number[], toolExtract: [] as number[], textExtract: [] as number[] }));
const time = async (f: () => unknown): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, c] of cases.entries()) {
    // Alternate which goes first so neither always runs right after a GC of the other.
    const order = r % 2 ? (["tool", "text"] as const) : (["text", "tool"] as const);
    for (const which of order) {
      times[k]![which].push(await time(() => checker.check(c[which])));
      times[k]![which === "tool" ? "toolExtract" : "textExtract"].push(await time(() => checker.extract(c[which])));
    }
  }
}
await checker.close();

const ms = (x: number): string => `${x.toFixed(3)} ms`;
console.log(`\n${ROUNDS} rounds, interleaved; snapshot mode, warm, in-memory watchlist`);
console.log("| input | tool-call check median / p99 | text check (same bytes) median / p99 | ratio of medians | extraction alone, tool / text (median) |");
console.log("| --- | --- | --- | --- | --- |");
for (const [k, c] of cases.entries()) {
  const t = times[k]!;
  console.log(`| ${c.label} | ${ms(median(t.tool))} / ${ms(p99(t.tool))} | ${ms(median(t.text))} / ${ms(p99(t.text))} | ${(median(t.tool) / median(t.text)).toFixed(2)}× | ${ms(median(t.toolExtract))} / ${ms(median(t.textExtract))} |`);
}
