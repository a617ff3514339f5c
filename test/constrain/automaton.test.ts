/**
 * The state machine on text (no model): where a package name starts, where it ends, and that
 * everything else is left alone. Names come from the real snapshot (886k PyPI, 227k npm).
 * `blockedAt` returns the text up to the first character the decoder would refuse.
 */
import { describe, expect, it } from "vitest";
import { blockedAt, namesOf, tracker } from "./helpers.js";

const py = { ecosystem: "pypi" as const };
const js = { ecosystem: "npm" as const };

describe("install commands", () => {
  it("stops a made-up name at the first character that leaves every real name", () => {
    // `django-data-b…` still starts a real project; no project starts with `django-data-ba`.
    expect(blockedAt("```bash\npip install django-data-backup\n```", py)).toBe("```bash\npip install django-data-ba");
    expect(blockedAt("pip install reqeusts-oauthlib2", py)).toBe("pip install reqeu");
  });

  it("lets a made-up prefix of real names go on but not end: a name ends only at a whole name", () => {
    // `requests-oauthli` is a prefix of `requests-oauthlib` but no project of its own.
    expect(blockedAt("pip install requests-oauthli && ls", py)).toBe("pip install requests-oauthli ");
    expect(namesOf("pip install requests-oauthlib && ls", py)).toEqual(["requests-oauthlib"]);
  });

  it("reads every package manager of the extractor", () => {
    const commands: [string, "pypi" | "npm"][] = [
      ["pip3 install", "pypi"], ["python -m pip install", "pypi"], ["python3.11 -m pip install", "pypi"], ["uv pip install", "pypi"],
      ["uv add", "pypi"], ["poetry add", "pypi"], ["pipenv install", "pypi"], ["pdm add", "pypi"], ["pipx install", "pypi"],
      ["conda install", "pypi"], ["mamba install", "pypi"], ["micromamba install", "pypi"], ["sudo -H pip install", "pypi"],
      ["!pip install", "pypi"], ["%pip install", "pypi"], ["uvx", "pypi"], ["pipx run", "pypi"],
      ["npm i", "npm"], ["npm install", "npm"], ["npm add", "npm"], ["yarn add", "npm"], ["yarn global add", "npm"], ["pnpm add", "npm"],
      ["bun add", "npm"], ["npx", "npm"], ["pnpx", "npm"], ["bunx", "npm"], ["pnpm dlx", "npm"],
      ["npm exec", "npm"], ["npm x", "npm"], ["bun x", "npm"], ["yarn dlx", "npm"], ["expo install", "npm"], ["conda create -n env", "pypi"],
    ];
    for (const [cmd, eco] of commands) {
      const [real, fake] = eco === "pypi" ? ["requests", "reqeustsx"] : ["lodash", "lodahsx"];
      expect(namesOf(`${cmd} ${real}\n`, { ecosystem: eco }), cmd).toEqual([real]);
      expect(blockedAt(`${cmd} ${fake}\n`, { ecosystem: eco }), cmd).not.toBe("");
    }
  });

  it("maps `npm create x` to the package create-x and reads deno's npm: prefix", () => {
    expect(namesOf("npm create vite@latest my-app\n", js)).toEqual(["vite"]);
    expect(blockedAt("npm create vitte-made-up my-app\n", js)).not.toBe("");
    expect(namesOf("deno add npm:express jsr:@std/path\n", js)).toEqual(["express"]);
    expect(blockedAt("deno add npm:exprezzz\n", js)).toBe("deno add npm:exprez");
    expect(namesOf("deno run -A npm:cowsay hello\n", js)).toEqual(["cowsay"]);
  });

  it("leaves flags, flag values, versions, extras, quotes, paths and URLs alone", () => {
    const line =
      "pip install -U -r requirements-dev.txt --index-url https://example.invalid/simple 'flask[async]>=2' requests==2.31 -e ./local " +
      "git+https://example.invalid/a/b.git numpy\n";
    expect(namesOf(line, py)).toEqual(["flask", "requests", "numpy"]);
    expect(namesOf("npm install --save-dev @types/node@20 lodash.debounce -g typescript\n", js)).toEqual(["@types/node", "lodash.debounce", "typescript"]);
  });

  it("ends at the end of the command and at the extractor's stop words", () => {
    expect(namesOf("Run pip install numpy if you need plots, then anything goes: xqzzy blorp.\n", py)).toEqual(["numpy"]);
    expect(namesOf("Install it with `pip install numpy`. Then run madeupword.\n", py)).toEqual(["numpy"]);
    expect(namesOf("pip install numpy. Then madeupword\n", py)).toEqual(["numpy"]);
    expect(namesOf("pip install numpy && cd madeupword; npm install lodash | tee madeup\n", py)).toEqual(["numpy", "lodash"]);
    // A one-package runner: what follows are the package's own arguments.
    expect(namesOf("npx create-react-app my-madeup-app --template madeup\n", js)).toEqual(["create-react-app"]);
  });

  it("counts an answer that stops inside an unfinished name (max_tokens)", () => {
    const cut = (text: string) => {
      const tr = tracker({ ...py, list: true });
      tr.feed(text);
      tr.end();
      return tr.stats.cut;
    };
    expect([cut("requests, flask-restf"), cut("requests, flask-restful"), cut("requests, ")]).toEqual([1, 0, 0]);
  });

  it("follows line continuations", () => {
    expect(namesOf("pip install numpy \\\n    pandas\n", py)).toEqual(["numpy", "pandas"]);
    expect(blockedAt("pip install numpy \\\n    pandazzz\n", py)).toBe("pip install numpy \\\n    pandazz");
  });

  it("honours the allowlist (exact names and trailing-* patterns)", () => {
    const options = { allowlist: { pypi: ["acme-internal", "corp-*"], npm: ["@acme/*"] } };
    expect(namesOf("pip install acme-internal corp-secret-tool\n", { ...py, options })).toEqual(["acme-internal", "corp-secret-tool"]);
    expect(namesOf("npm install @acme/widgets\n", { ...js, options })).toEqual(["@acme/widgets"]);
    expect(blockedAt("pip install acme-internals\n", { ...py, options })).not.toBe("");
  });

  it("constrains only the contexts the config turns on", () => {
    const text = "```bash\npip install fakepkgqq\n```\n```python\nimport fakemodqq\n```\n```requirements.txt\nfakereqqq\n```";
    const off = (k: string) => ({ ...py, options: { contexts: { install: k !== "install", import: k !== "import", manifest: k !== "manifest" } } });
    expect(blockedAt(text, py)).toMatch(/install fakepkg\w*$/);
    expect(blockedAt(text, off("install"))).toMatch(/import fakemod\w*$/);
    expect(blockedAt(text, { ...py, options: { contexts: { install: false, import: false } } })).toMatch(/\nfakereq$/);
    expect(blockedAt(text, { ...py, options: { contexts: { install: false, import: false, manifest: false } } })).toBe("");
  });

  it("uses a popular subset when configured", () => {
    const options = { names: { pypi: { top: 100 } } };
    expect(namesOf("pip install requests\n", { ...py, options })).toEqual(["requests"]);
    // A real but unpopular project is out of a top-100 list.
    expect(blockedAt("pip install yamllint\n", { ...py, options })).not.toBe("");
  });
});

describe("imports", () => {
  it("maps Python imports to distributions: cv2 (opencv-python), yaml (PyYAML), the identity", () => {
    expect(namesOf("```python\nimport cv2\nimport yaml, numpy as np\nfrom sklearn.linear_model import X\nimport django_dbbackup\n```", py)).toEqual([
      "cv2", "yaml", "numpy", "sklearn", "django_dbbackup",
    ]);
    expect(blockedAt("```python\nimport django_data_backup\n```", py)).toBe("```python\nimport django_data_ba");
  });

  it("leaves the standard library, relative imports and the answer's own modules open", () => {
    expect(namesOf("```python\nimport os, sys\nfrom collections import abc\nfrom . import sibling\nfrom .models import User\n```", py)).toEqual(["os", "sys", "collections"]);
    // `helperz` is made up, but the answer defines helperz.py first.
    const text = "Save this as `helperz.py`:\n```python\ndef f(): pass\n```\n```python\nimport helperz\n```";
    expect(namesOf(text, py)).toEqual(["helperz"]);
    expect(blockedAt("```python\nimport helperz\n```", py)).not.toBe("");
  });

  it("reads JS require, import … from, dynamic import and side-effect imports", () => {
    const code = "```javascript\nconst a = require('lodash/debounce');\nimport express from \"express\";\nimport { x } from './local';\n" +
      "const fs = require('node:fs');\nimport('@testing-library/dom').then(f);\nimport 'fs';\n```";
    expect(namesOf(code, js)).toEqual(["lodash", "express", "@testing-library/dom", "fs"]);
    expect(blockedAt("```js\nconst x = require('lodahs-utils');\n```", js)).toBe("```js\nconst x = require('lodah");
    expect(blockedAt("```js\nimport x from '@madeupscopezz/thing';\n```", js)).not.toBe("");
  });

  it("leaves code that is not an import alone", () => {
    const code = "```python\nimportant = 1\nfromage = import_thing()\nx = 'pip install nothing here' if False else None\n```";
    expect(blockedAt(code, py)).toBe("");
  });
});

describe("package-list answers", () => {
  it("holds every item of a list answer to the lists, stdlib names included", () => {
    expect(namesOf("yamllint, pyyaml, fastparquet", { ...py, list: true })).toEqual(["yamllint", "pyyaml", "fastparquet"]);
    expect(blockedAt("yamllint, python-yaml, fastparquet", { ...py, list: true })).toBe("yamllint, python-yaml,");
    expect(namesOf("1. numpy\n2. **pandas**: data frames\n- `requests` - HTTP\n* json", { ...py, list: true })).toEqual(["numpy", "pandas", "requests", "json"]);
    expect(namesOf("express, @babel/core, fs", { ...js, list: true })).toEqual(["express", "@babel/core", "fs"]);
  });

  it("hands code blocks and install commands in a list answer to their own readers", () => {
    const text = "numpy, pandas\n```bash\npip install requests\n```\nrich\npip install fastapi uvicorn\nhttpx";
    // `pip` is read as an item until `install` makes the line a command.
    expect(namesOf(text, { ...py, list: true })).toEqual(["numpy", "pandas", "requests", "rich", "pip", "fastapi", "uvicorn", "httpx"]);
    expect(blockedAt("numpy\n```bash\npip install python-redis-connection\n```", { ...py, list: true })).toMatch(/python-redis-c\w*$/);
    expect(blockedAt("numpy\npip install python-redis-connection", { ...py, list: true })).toMatch(/python-redis-c\w*$/);
  });

  it("is off when the prompt did not ask for a list", () => {
    expect(blockedAt("yamllint, python-yaml, fastparquet", py)).toBe("");
  });
});

describe("manifests", () => {
  it("holds requirements.txt lines to PyPI, and leaves options, comments and URLs alone", () => {
    const text = "requirements.txt:\n```\nflask==2.0\nrequests[socks]>=2 ; python_version>'3'\n# comment madeup\n-e .\n-r other.txt\n" +
      "git+https://example.invalid/x.git\n```\n";
    expect(namesOf(text, py)).toEqual(["flask", "requests"]);
    expect(blockedAt("```requirements.txt\nflask\nflask-restfull\n```", py)).toBe("```requirements.txt\nflask\nflask-restfull");
  });

  it("holds package.json dependency keys to npm, and only those", () => {
    const text = "```json\n{\n  \"name\": \"my-madeup-app\",\n  \"scripts\": { \"madeup\": \"x\" },\n  \"dependencies\": {\n    \"express\": \"^4.0.0\",\n" +
      "    \"@types/node\": \"20\"\n  },\n  \"devDependencies\": { \"typescript\": \"5\" }\n}\n```";
    expect(namesOf(text, js)).toEqual(["express", "@types/node", "typescript"]);
    expect(blockedAt("```json\n{ \"dependencies\": { \"lodahs-utils\": \"1\" } }\n```", js)).toBe("```json\n{ \"dependencies\": { \"lodah");
  });
});

describe("tool-call arguments (JSON text)", () => {
  it("reads a shell command argument, JSON-escaped", () => {
    const call = (cmd: string) => `{"name": "run_shell_command", "arguments": {"command": "${cmd}"}}`;
    expect(namesOf(call("pip install requests-oauthlib && npm install lodash"))).toEqual(["requests-oauthlib", "lodash"]);
    expect(blockedAt(call("pip install reqeusts-oauthlib2 && npm install lodahs-utils"))).toMatch(/"pip install reqeu$/);
    expect(blockedAt(call("cd x && pip install requests && npm install lodahs-utils"))).toMatch(/npm install lodah$/);
    // Escaped quotes inside the command are quotes to the shell.
    expect(namesOf(call('pip install \\"flask>=2\\" numpy'))).toEqual(["flask", "numpy"]);
    // A \\u escape cannot smuggle a letter past the lists: `reqe\\u0075` is `reqeu`.
    expect(blockedAt(call("pip install reqe\\u0075sts"))).toMatch(/reqe\\u0075$/);
  });

  it("reads arguments given as a JSON string (OpenAI style) and argv arrays", () => {
    expect(blockedAt('{"name": "shell", "arguments": "{\\"command\\": \\"pip install fakepkgqq\\"}"}')).toMatch(/fakepkg/);
    expect(namesOf('{"name": "shell", "arguments": "{\\"command\\": \\"pip install flask\\"}"}')).toEqual(["flask"]);
    expect(namesOf('{"name": "shell", "arguments": {"command": ["pip", "install", "-q", "numpy", "pandas"]}}')).toEqual(["numpy", "pandas"]);
    expect(blockedAt('{"name": "shell", "arguments": {"command": ["pip", "install", "numpy", "fakepkgqq"]}}')).toMatch(/fakepkg/);
  });

  it("reads file writes by path: requirements.txt, package.json, .py and .js files", () => {
    const write = (path: string, content: string) => `{"name": "write_file", "arguments": {"path": "${path}", "content": "${content}"}}`;
    expect(namesOf(write("requirements.txt", "flask\\nflask-restful==0.3\\n"))).toEqual(["flask", "flask-restful"]);
    expect(blockedAt(write("requirements.txt", "flask\\nflask-restfull\\n"))).toMatch(/flask-restfull$/);
    expect(namesOf(write("package.json", '{\\n  \\"dependencies\\": {\\n    \\"express\\": \\"^4\\"\\n  }\\n}'))).toEqual(["express"]);
    expect(blockedAt(write("package.json", '{ \\"dependencies\\": { \\"lodahs\\": \\"1\\" } }'))).toMatch(/lodah$/);
    expect(namesOf(write("src/app.py", "import os\\nimport requests\\n"))).toEqual(["os", "requests"]);
    expect(blockedAt(write("src/app.js", "const x = require('lodahs-utils');\\n"))).toMatch(/require\('lodah$/);
    // Arguments that are neither commands nor files are scanned as text.
    expect(blockedAt('{"name": "note", "arguments": {"message": "pip install fakepkgqq"}}')).toMatch(/fakepkg/);
  });
});
