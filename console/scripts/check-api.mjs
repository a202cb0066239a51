// Fails when src/api/schema.d.ts is not what `npm run gen:api` makes from openapi.json (the
// committed types are stale): regenerates into a temporary file with the same options and
// compares the bytes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(root, "src/api/schema.d.ts");
const scratch = mkdtempSync(join(tmpdir(), "gproxy-console-api-"));
const fresh = join(scratch, "schema.d.ts");

// The same command as package.json's gen:api, with only the output moved.
const genApi = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts["gen:api"];
const args = genApi.split(/\s+/).slice(1);
const out = args.indexOf("--output");
args[out + 1] = fresh;
try {
  execFileSync(join(root, "node_modules/.bin/openapi-typescript"), args, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (readFileSync(fresh, "utf8") !== readFileSync(committed, "utf8")) {
    console.error("src/api/schema.d.ts is stale relative to openapi.json: run `npm run gen:api` and commit the result.");
    process.exit(1);
  }
  console.log("src/api/schema.d.ts matches openapi.json");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
