#!/usr/bin/env node
// Runs the built edge daemon (npm start / npm test build it first: `npm run build`).
import { main } from '../dist/edge/main.js';

await main();
