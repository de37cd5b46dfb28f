# cmake/dmarace_check_symbols.cmake: run before linking dmarace-<name> (cmake/dmarace.cmake).
#   cmake -DNM=<nm> -DDRIVER=<name> -DUSER_OBJECTS=<objects> -DBUILTIN_OBJECTS=<objects> -P dmarace_check_symbols.cmake
# Fails when the user's driver defines a global symbol that a built-in driver
# defines too. Two strong definitions would not link; a weak one (the type
# info WDF_DECLARE_CONTEXT_TYPE defines, as KMDF's selectany does) would
# silently make the two drivers share one context type and its size.
cmake_minimum_required(VERSION 3.25)

function(defined_symbols out)
  set(names "")
  foreach(obj IN LISTS ARGN)
    execute_process(COMMAND "${NM}" -g --defined-only "${obj}" OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "dmarace: ${NM} failed on ${obj}: ${err}")
    endif()
    string(REGEX MATCHALL "[^\n]+" lines "${text}")
    foreach(line IN LISTS lines)
      if(line MATCHES "^[0-9a-fA-F]* *[A-Za-z] ([^ ]+)$")
        list(APPEND names "${CMAKE_MATCH_1}")
      endif()
    endforeach()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

defined_symbols(user ${USER_OBJECTS})
defined_symbols(builtin ${BUILTIN_OBJECTS})
set(clash "")
foreach(sym IN LISTS user)
  if(sym IN_LIST builtin AND NOT sym IN_LIST clash)
    list(APPEND clash "${sym}")
  endif()
endforeach()
if(clash)
  list(JOIN clash " " clash)
  message(FATAL_ERROR "dmarace: driver ${DRIVER} defines symbols a built-in driver of dmarace defines too: ${clash}\n"
                      "(a context type named as a built-in one gives _WDF_<type>_TYPE_INFO). Add NO_BUILTIN_SCENARIOS "
                      "to dmarace_add_driver(${DRIVER} ...) to build without the built-in scenarios.")
endif()
