# Runs a scenario that is broken on purpose: exit 1, a report naming the
# failed expectation and the near miss, and no secret in it.
execute_process(COMMAND ${JOURNEY_SIM} run ${SCENARIO} --plugin ${PLUGIN}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 1)
  message(FATAL_ERROR "expected exit 1, got ${status}\n${out}\n${err}")
endif()
foreach(needle "FAIL requests 'order webhook'" "nearest request #1 POST /v1/orders/u1"
               "urlPath: expected '/v1/order/u1', got '/v1/orders/u1'" "0 passed, 1 failed")
  string(FIND "${out}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the report lacks \"${needle}\":\n${out}")
  endif()
endforeach()
string(FIND "${out}" "k_broken_secret" leaked)
if(NOT leaked EQUAL -1)
  message(FATAL_ERROR "the report shows the API key:\n${out}")
endif()
