// Tests that run the command line as a user does (`node dist/cli.js ...`) need dist/ built from
// the sources under test, not from whatever was built last.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './cli-process.js';

export default function setup(): void {
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.json')], { stdio: 'inherit' });
}
