#!/usr/bin/env node
// Runs the built cloud server (`npm run build` first).
import { main } from '../dist/cloud-sync/server/main.js';

await main();
