'use strict';
// Which output-step module a node loads: the path configured on the node,
// else $OUTPUT_STEP_MODULE, else the installed webhook module
// (`pkg-config --variable=webhook_module output-step`, as the Debian
// package or `cmake --install` put it).
const { execFileSync } = require('child_process');

let installed;  // found once; not found is asked again (it may be installed since)
function installedModule() {
  if (!installed) {
    try {
      installed = execFileSync('pkg-config', ['--variable=webhook_module', 'output-step'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
    } catch (error) {
      installed = null;
    }
  }
  return installed;
}

function resolveModule(configured) {
  const chosen = (configured && String(configured).trim()) || process.env.OUTPUT_STEP_MODULE || installedModule();
  if (!chosen) {
    throw new Error('no output-step module: set the node\'s Module to the path of one ' +
      '(webhook_output.so), set OUTPUT_STEP_MODULE, or install the webhook-output package');
  }
  return chosen;
}

module.exports = { resolveModule };
