# validate refuses what run refuses, all at once (typos.json: exit 2 from
# both, each error named); an unset variable is a warning with exit 0 for
# validate, an error with --require-env and for run (env-placeholder.json).
function(journey_sim expected_status)
  execute_process(COMMAND ${JOURNEY_SIM} ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL expected_status)
    message(FATAL_ERROR "journey-sim ${ARGN}: expected exit ${expected_status}, got ${status}\n${out}\n${err}")
  endif()
  set(out "${out}${err}" PARENT_SCOPE)
endfunction()
function(expect_all text)
  foreach(needle IN LISTS ARGN)
    string(FIND "${text}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "the output lacks \"${needle}\":\n${text}")
    endif()
  endforeach()
endfunction()

journey_sim(2 validate ${SCENARIOS}/typos.json --plugin ${PLUGIN})
expect_all("${out}"
  "typos.json: /endpoint/mappings/0/request/urlPth: unknown request pattern key"
  "typos.json: /endpoint/mappings/0/respnse: Unrecognized field \"respnse\""
  "typos.json: /expect/requests/0/request/bodyPatterns/0: {\"equalsToJson\":{}} is not a valid match operation"
  "typos.json: /expect/order/0/key: "
  "typos.json: /activations/bad: advanced.webhook_retry_count: ")
string(FIND "${out}" "/activations/ok" ok_named)
if(NOT ok_named EQUAL -1)
  message(FATAL_ERROR "validate blames the valid activation:\n${out}")
endif()
journey_sim(2 validate ${SCENARIOS}/typos.json)  # without the plugin: still every pattern error
expect_all("${out}" "/endpoint/mappings/0/respnse" "/expect/requests/0/request/bodyPatterns/0")
journey_sim(2 run ${SCENARIOS}/typos.json --plugin ${PLUGIN})
expect_all("${out}" "INVALID  " "/endpoint/mappings/0/respnse")

journey_sim(0 validate ${SCENARIOS}/env-placeholder.json --plugin ${PLUGIN})
expect_all("${out}" "valid (1 events, 1 activations, 1 stages)"
  "/activations/a: auth.api_key_env: warning: names environment variable 'JOURNEY_SIM_TEST_UNSET_KEY', which is not set"
  "/activations/a: delivery.signing_secret_env: warning: names environment variable 'JOURNEY_SIM_TEST_UNSET_SECRET'")
journey_sim(2 validate ${SCENARIOS}/env-placeholder.json --plugin ${PLUGIN} --require-env)
expect_all("${out}" "'JOURNEY_SIM_TEST_UNSET_KEY', which is not set (--require-env)")
journey_sim(2 run ${SCENARIOS}/env-placeholder.json --plugin ${PLUGIN})
expect_all("${out}" "INVALID  env-placeholder" "auth.api_key_env: names environment variable 'JOURNEY_SIM_TEST_UNSET_KEY'")
