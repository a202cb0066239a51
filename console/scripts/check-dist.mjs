// Fails when dist/ (committed, embedded in the gproxy binary) is not what `npm run build` makes
// from the sources here: builds into a temporary folder and compares every file.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(root, "dist");
const scratch = mkdtempSync(join(tmpdir(), "gproxy-console-dist-"));

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

try {
  execFileSync(join(root, "node_modules/.bin/vite"), ["build", "--outDir", scratch, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const want = new Map(files(scratch).map((f) => [relative(scratch, f), f]));
  const have = new Map(files(committed).map((f) => [relative(committed, f), f]));
  const problems = [];
  for (const [name, path] of want) {
    if (!have.has(name)) problems.push(`missing: dist/${name}`);
    else if (!readFileSync(path).equals(readFileSync(have.get(name)))) problems.push(`differs: dist/${name}`);
  }
  for (const name of have.keys()) if (!want.has(name)) problems.push(`left over: dist/${name}`);
  if (problems.length > 0) {
    console.error(`console/dist is stale relative to the console sources: run \`npm run build\` and commit dist/.\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`console/dist matches the sources (${want.size} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
