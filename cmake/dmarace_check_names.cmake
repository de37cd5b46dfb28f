# cmake/dmarace_check_names.cmake: run after linking dmarace-<name> (cmake/dmarace.cmake).
#   cmake -DEXE=<dmarace-name> -DDRIVER=<name> -DSCENARIOS=<names> -P dmarace_check_names.cmake
# Fails when one of the driver's scenario names is taken by another scenario
# of the binary (a built-in one): `dmarace run NAME` would pick either.
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND "${EXE}" list OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dmarace: ${EXE} list failed (${rc}): ${err}")
endif()
string(REGEX MATCHALL "[^\n]+" lines "${text}")
set(names "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ ]+) ")
    list(APPEND names "${CMAKE_MATCH_1}")
  endif()
endforeach()
foreach(scn IN LISTS SCENARIOS)
  set(count 0)
  foreach(n IN LISTS names)
    if(n STREQUAL scn)
      math(EXPR count "${count} + 1")
    endif()
  endforeach()
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "dmarace: scenario '${scn}' of driver ${DRIVER} is in `${EXE} list` ${count} times: "
                        "a built-in scenario has that name; rename it in dmarace_add_driver(${DRIVER} ...)")
  endif()
endforeach()
