/**
 * Just enough of a Dockerfile and .dockerignore parser for the deploy tests:
 * instructions with their flags, stages, and whether the build context sends a path.
 */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  /** Arguments: the JSON array when the exec form is used, else split on whitespace. */
  args: string[];
  json: boolean;
  stage: string;
}

export function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && current === "")) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = "";
  }
  const out: Instruction[] = [];
  let stage = "";
  for (const entry of logical) {
    const [keyword = "", ...restParts] = entry.split(/\s+/);
    let rest = restParts.join(" ");
    const flags: Record<string, string> = {};
    for (let m = /^--([\w-]+)=(\S+)\s*/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
      flags[m[1]!] = m[2]!;
      rest = rest.slice(m[0].length);
    }
    const json = rest.startsWith("[");
    const args = json ? (JSON.parse(rest) as string[]) : rest.split(/\s+/).filter(Boolean);
    const upper = keyword.toUpperCase();
    if (upper === "FROM") stage = args[2] ?? args[0] ?? "";
    out.push({ keyword: upper, flags, args, json, stage });
  }
  return out;
}

/** Docker's matcher: patterns are anchored at the context root, `**` spans folders, the last match wins. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, "").replace(/\/+$/, "");
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => {
          if (part === "**/" || part === "**") return "(?:.*/)?" + (part === "**" ? ".*" : "");
          if (part === "*") return "[^/]*";
          if (part === "?") return "[^/]";
          return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        })
        .join("");
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path: string) => {
    let excluded = false;
    for (const rule of rules) if (rule.regex.test(path)) excluded = !rule.negate;
    return excluded;
  };
}
