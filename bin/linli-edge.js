#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=20
// Runs the built edge daemon (npm start / npm test build it first: `npm run build`).
//
// The V8 flags on the first line keep the daemon small on a 1 GB box: 2 MB semi-spaces instead of
// up to 16 MB, and an old generation collected when it has grown 20% past what was live after the
// last full collection (the default lets it grow up to 4×). Idle ~110 MB instead of ~135, and a
// million-record sync drain stays at ~120 MB instead of growing past 250, with the latency benches
// unchanged (bench/README.md, "Footprint" and "Sync drain"). Run it as `npx linli-edge`, `npm start`
// or `./bin/linli-edge.js` so the line applies; tests and benches read the flags from this line
// (test/helpers/ready-process.ts).
import { main } from '../dist/edge/main.js';

await main();
