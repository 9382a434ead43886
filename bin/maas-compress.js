#!/usr/bin/env node
// The bin only hands the process to the CLI core in dist/.
import { main } from '../dist/cli/main.js';

main();
