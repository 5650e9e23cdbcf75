'use strict';
// The compiled addon: $OUTPUT_STEP_NODE_ADDON when set (a build of the
// sources elsewhere, as the project's CMake build makes for its tests),
// else build/Release/output_step.node, where npm install (node-gyp) puts it.
const fs = require('fs');
const path = require('path');

function addonPath() {
  const candidates = [process.env.OUTPUT_STEP_NODE_ADDON,
    path.join(__dirname, '..', 'build', 'Release', 'output_step.node')].filter(Boolean);
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) {
    throw new Error(`the output-step addon is not built (looked for ${candidates.join(', ')}): ` +
      'install the package with npm (it runs node-gyp), or set OUTPUT_STEP_NODE_ADDON');
  }
  return found;
}

let loaded;
function addon() {
  if (!loaded) loaded = require(addonPath());
  return loaded;
}

module.exports = { addon, addonPath };
