# Invalid scenario files: exit 2, every error with its file and JSON pointer,
# line and column for a syntax error.
execute_process(COMMAND ${JOURNEY_SIM} validate ${SCENARIOS}/invalid-scenario.json ${SCENARIOS}/syntax-error.json
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 2)
  message(FATAL_ERROR "expected exit 2, got ${status}\n${out}\n${err}")
endif()
foreach(needle "invalid-scenario.json: /surprise: unknown key" "/activations/a/authentication: names 'missing'"
               "/journey/reentry: is 'sometimes'" "/journey/stages/0/entry/conditions/0/op: 'like' is not an operator"
               "/journey/stages/0/steps/0/wait: '3 days' is not a duration" "/journey/stages/0/steps/1/activate: names 'nope'"
               "/events/0/at: 'yesterday'" "/expect/requests/0: give exactly one of" "syntax-error.json:3:15: not valid JSON")
  string(FIND "${err}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the errors lack \"${needle}\":\n${err}")
  endif()
endforeach()
execute_process(COMMAND ${JOURNEY_SIM} run ${SCENARIOS}/invalid-scenario.json --plugin /nonexistent.so
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 2)
  message(FATAL_ERROR "run of a missing plugin: expected exit 2, got ${status}")
endif()
