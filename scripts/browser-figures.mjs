#!/usr/bin/env node
/**
 * The measured-vs-simulated table of docs/report.md ("Measured in a browser") from the JSON
 * of `maas-compress report ... --browser --json`: per model and profile, the simulated
 * transfer, what DevTools throttling predicts for the same bytes, the measured transfer,
 * measured ÷ simulated and measured ÷ predicted, and the time to first prediction.
 * Usage: node scripts/browser-figures.mjs report.json [more.json...]   (after npm run build)
 */
import { readFileSync } from 'node:fs';
import { devtoolsTransferTime } from '../dist/report/browser/throttle.js';

const secs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

console.log('| model | profile | simulated | DevTools predicts | measured | measured ÷ simulated | measured ÷ predicted | time to first prediction |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const file of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  if (!r.browser) throw new Error(`${file}: no browser figures (run report with --browser)`);
  for (const m of r.models) {
    const sent = m.files.map((f) => (m.servedAsIs || r.encoding === 'none' ? f.raw : r.encoding === 'gzip' ? f.gzip : f.brotli));
    for (const n of r.networks) {
      const b = m.browser?.[n.name];
      if (!b) continue;
      const sim = m.transfer[n.name].ms;
      const predicted = m.container ? devtoolsTransferTime({ container: sent[0] }, n) : devtoolsTransferTime({ json: sent[0], weights: sent.slice(1) }, n);
      console.log(`| ${m.name} | ${n.name} | ${secs(sim)} | ${secs(predicted)} | ${secs(b.transferMs)} | ${(b.transferMs / sim).toFixed(2)} | ${(b.transferMs / predicted).toFixed(2)} | ${secs(b.timeToFirstPredictionMs)} |`);
    }
  }
}
