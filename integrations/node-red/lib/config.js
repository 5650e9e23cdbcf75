'use strict';
// The plugin's configuration as the node holds it: the JSON of the editor
// form, which goes into the flow file, and the secrets, which do not: they
// are Node-RED credentials (stored apart, encrypted) and are put in place
// only when the step is created or validated.

// Each credential of the node and the configuration field it fills.
const SECRETS = [
  { credential: 'api_key', path: ['auth', 'api_key'], label: 'API key' },
  { credential: 'signing_secret', path: ['delivery', 'signing_secret'], label: 'Signing secret' },
];

function parseConfig(text) {
  if (text === undefined || text === null || String(text).trim() === '') {
    return { errors: [{ field: '', message: 'the configuration is empty: a JSON object is required' }] };
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (error) {
    return { errors: [{ field: '', message: `the configuration is not JSON: ${error.message}` }] };
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return { errors: [{ field: '', message: 'the configuration must be a JSON object' }] };
  }
  return { config, errors: [] };
}

// The configuration to hand to the module, or the errors that stop it: a
// secret written into the flow's configuration is refused (it would be
// saved in the flow file, in clear); each credential given fills its field.
function buildConfig(text, credentials) {
  const { config, errors } = parseConfig(text);
  if (!config) return { errors };
  const creds = credentials || {};
  for (const secret of SECRETS) {
    const [section, key] = secret.path;
    const inFlow = config[section] && typeof config[section] === 'object' && key in config[section];
    if (inFlow) {
      errors.push({ field: secret.path.join('.'), message: 'a secret does not belong in the flow ' +
        `(the flow file keeps it in clear): leave it out and fill the node's ${secret.label} credential` });
      continue;
    }
    const value = creds[secret.credential];
    if (typeof value === 'string' && value !== '') {
      if (config[section] === undefined) config[section] = {};
      if (config[section] && typeof config[section] === 'object') config[section][key] = value;
    }
  }
  return errors.length ? { errors } : { text: JSON.stringify(config), errors: [] };
}

module.exports = { SECRETS, buildConfig };
