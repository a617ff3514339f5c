/** P's real package checker on the copied snapshot, offline, with an in-process watchlist. */
import { createPackageChecker, type SlopguardPackageChecker } from "../../src/packages/index.js";

let shared: SlopguardPackageChecker | undefined;

export async function makeChecker(): Promise<SlopguardPackageChecker> {
  // The snapshot takes a while to load; one per test file is enough.
  shared ??= createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
  return shared;
}
