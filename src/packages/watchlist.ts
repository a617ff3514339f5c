/**
 * The hallucination watchlist: names a registry said do not exist. If one of them
 * exists later, someone registered a name models invent: the slopsquatting attack.
 * Stored in LMDB so it survives restarts and several processes on one host share it.
 */
import { mkdirSync } from "node:fs";
import { open, type RootDatabase } from "lmdb";
import type { Watchlist, WatchlistEntry } from "../state/types.js";
import type { Ecosystem } from "./types.js";
import { normalizeName } from "./names.js";

const key = (ecosystem: Ecosystem, name: string): string => `${ecosystem}:${normalizeName(ecosystem, name)}`;

export class LmdbWatchlist implements Watchlist {
  private readonly db: RootDatabase<WatchlistEntry, string>;

  constructor(path: string) {
    mkdirSync(path, { recursive: true });
    this.db = open<WatchlistEntry, string>({ path, compression: false });
  }

  async recordNotFound(ecosystem: Ecosystem, name: string): Promise<void> {
    const k = key(ecosystem, name);
    // One transaction keeps read-modify-write of timesSeen atomic across processes;
    // lmdb batches async transactions into one commit, so a burst costs one fsync.
    await this.db.transaction(() => {
      const old = this.db.get(k);
      const entry: WatchlistEntry = old
        ? { ...old, timesSeen: old.timesSeen + 1 }
        : { ecosystem, name: normalizeName(ecosystem, name), firstSeenNotFound: new Date().toISOString(), timesSeen: 1 };
      void this.db.put(k, entry);
    });
  }

  async get(ecosystem: Ecosystem, name: string): Promise<WatchlistEntry | undefined> {
    return this.db.get(key(ecosystem, name));
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export class MemoryWatchlist implements Watchlist {
  private readonly map = new Map<string, WatchlistEntry>();

  async recordNotFound(ecosystem: Ecosystem, name: string): Promise<void> {
    const k = key(ecosystem, name);
    const old = this.map.get(k);
    this.map.set(k, old ? { ...old, timesSeen: old.timesSeen + 1 } : { ecosystem, name: normalizeName(ecosystem, name), firstSeenNotFound: new Date().toISOString(), timesSeen: 1 });
  }

  async get(ecosystem: Ecosystem, name: string): Promise<WatchlistEntry | undefined> {
    return this.map.get(key(ecosystem, name));
  }

  async close(): Promise<void> {}
}
