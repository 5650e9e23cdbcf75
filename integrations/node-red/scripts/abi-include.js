'use strict';
// Prints the directory holding output_step/output_step.h for node-gyp:
// $OUTPUT_STEP_INCLUDE_DIR, else the source tree's (a checkout of the
// project), else the installed one (pkg-config output-step).
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

function has(dir) { return dir && fs.existsSync(path.join(dir, 'output_step', 'output_step.h')); }

function fromPkgConfig() {
  try {
    const flags = execFileSync('pkg-config', ['--cflags-only-I', 'output-step'], { encoding: 'utf8' }).trim();
    const dirs = flags.split(/\s+/).filter((f) => f.startsWith('-I')).map((f) => f.slice(2));
    return dirs.find(has) || (flags === '' ? execFileSync('pkg-config', ['--variable=includedir', 'output-step'], { encoding: 'utf8' }).trim() : null);
  } catch (error) {
    return null;
  }
}

const candidates = [process.env.OUTPUT_STEP_INCLUDE_DIR, path.join(__dirname, '..', '..', '..', 'plugin', 'include')];
const found = candidates.find(has) || fromPkgConfig();
if (!has(found)) {
  process.stderr.write('node-red-contrib-output-step: output_step/output_step.h not found: install the ' +
    'webhook-output package (or `cmake --install` the project and set PKG_CONFIG_PATH), or set OUTPUT_STEP_INCLUDE_DIR\n');
  process.exit(1);
}
process.stdout.write(found);
