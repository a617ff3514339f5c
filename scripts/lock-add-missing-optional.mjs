#!/usr/bin/env node
// Adds lock entries for optional platform packages that the configured npm registry
// does not serve (its mirror lacks node-llama-cpp's Windows/macOS/riscv64 binaries).
// `npm install` silently skips an optional dependency it cannot fetch and leaves it
// out of the lock, and `npm ci` then refuses the lock as out of sync. An entry with
// the package's os/cpu lets `npm ci` accept the lock and skip the package on this
// platform, as it would with a complete registry. Run after any `npm install`.
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const platform = {
  "linux-riscv64": { os: ["linux"], cpu: ["riscv64"] },
  "mac-arm64-metal": { os: ["darwin"], cpu: ["arm64", "x64"] },
  "mac-x64": { os: ["darwin"], cpu: ["x64"] },
  "win-arm64": { os: ["win32"], cpu: ["arm64", "x64"] },
  "win-x64": { os: ["win32"], cpu: ["x64"] },
  "win-x64-cuda": { os: ["win32"], cpu: ["x64"] },
  "win-x64-cuda-ext": { os: ["win32"], cpu: ["x64"] },
  "win-x64-vulkan": { os: ["win32"], cpu: ["x64"] },
};
const added = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const path = `node_modules/${dep}`;
    if (lock.packages[path]) continue;
    const short = dep.replace(/^@node-llama-cpp\//, "");
    const p = platform[short];
    if (!p) {
      console.error(`lock: ${dep} (optional of ${key || "root"}) is missing and has no known platform; left alone`);
      continue;
    }
    lock.packages[path] = { version, license: "MIT", optional: true, ...p };
    added.push(dep);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(added.length ? `lock: added ${added.join(", ")}` : "lock: nothing missing");
