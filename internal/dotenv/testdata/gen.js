// Writes the golden files for the dotenv tests from the npm packages that
// define the semantics tend follows. Regenerate with:
//
//   cd internal/dotenv/testdata
//   npm install --no-save --no-package-lock dotenv@17.2.3 dotenv-expand@12.0.3
//   node gen.js
//
// Each cases/NAME.env gives golden/NAME.json: the pairs dotenv.parse
// returns and the pairs dotenv-expand's expand returns with the process
// environment of processenv.json, both in JavaScript's key order.
const fs = require('fs');
const path = require('path');
const dotenv = require('dotenv');
const { expand } = require('dotenv-expand');

const processEnv = JSON.parse(fs.readFileSync(path.join(__dirname, 'processenv.json'), 'utf8'));
const casesDir = path.join(__dirname, 'cases');
const goldenDir = path.join(__dirname, 'golden');
fs.mkdirSync(goldenDir, { recursive: true });
for (const file of fs.readdirSync(casesDir).filter(f => f.endsWith('.env')).sort()) {
  const src = fs.readFileSync(path.join(casesDir, file));
  const parsed = dotenv.parse(src);
  const expanded = expand({ parsed: { ...parsed }, processEnv: { ...processEnv } }).parsed;
  const out = { parsed: Object.entries(parsed), expanded: Object.entries(expanded) };
  fs.writeFileSync(path.join(goldenDir, file.replace(/\.env$/, '.json')), JSON.stringify(out, null, 1) + '\n');
}
