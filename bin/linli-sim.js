#!/usr/bin/env node
// Device simulators speaking the exact wire protocols (DESIGN.md): `linli-sim --help`.
import { main } from '../dist/firmware-bridge/sim/cli.js';

process.exitCode = await main(process.argv.slice(2));
