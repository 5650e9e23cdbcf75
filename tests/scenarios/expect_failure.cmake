# Runs a scenario that fails on purpose: exit 1, a report holding each of
# NEEDLES ("|" between them), and not SECRET.
execute_process(COMMAND ${JOURNEY_SIM} run ${SCENARIO} --plugin ${PLUGIN}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 1)
  message(FATAL_ERROR "expected exit 1, got ${status}\n${out}\n${err}")
endif()
string(REPLACE "|" ";" needles "${NEEDLES}")
foreach(needle IN LISTS needles)
  string(FIND "${out}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the report lacks \"${needle}\":\n${out}")
  endif()
endforeach()
string(FIND "${out}" "${SECRET}" leaked)
if(NOT leaked EQUAL -1)
  message(FATAL_ERROR "the report shows the secret:\n${out}")
endif()
