{
  "targets": [{
    "target_name": "output_step",
    "sources": ["src/addon.cc", "src/host_events.cc", "src/module.cc", "src/step.cc"],
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "<!(node scripts/abi-include.js)"
    ],
    "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags_cc": ["-std=c++17"],
    "libraries": ["-ldl"]
  }]
}
