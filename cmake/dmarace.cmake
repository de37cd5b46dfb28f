# cmake/dmarace.cmake: bring your own driver (docs/byod.md).
#
# Included by dmarace's top-level CMakeLists.txt and by an installed
# dmarace's dmaraceConfig.cmake, so a project that does
#   find_package(dmarace)            (an installed dmarace: cmake/install.cmake)
# or
#   add_subdirectory(<path-to-dmarace> dmarace EXCLUDE_FROM_ALL)
# can call
#   dmarace_add_driver(<name>
#     SOURCES <driver sources...>          compiled as driver code (every access a scheduling point)
#     ENTRY <DriverEntry function>
#     [INCLUDE_DIRECTORIES <dirs...>] [COMPILE_DEFINITIONS <defs...>] [COMPILE_OPTIONS <opts...>]
#     [LINK_LIBRARIES <libs...>] [NO_BUILTIN_SCENARIOS]
#     SCENARIO <scenario> [CPUS <n>] [ENV "<settings>"] [EXPECT <verdict>] [BUDGET <n>]
#                         [SUMMARY "<text>"] [ENTRY <function>] [SELECT <function>] [CLIENT <function>]
#     [SCENARIO ...]...)
# which builds
#   dmarace-<name>        the dmarace CLI with the built-in scenarios and these
#   dmarace-<name>-fuzz   the scenario fuzz target (harness/fuzz/fuzz_scenario.c) with the same
# and, when the calling project has BUILD_TESTING on, one CTest test per
# scenario (dmarace-<name>.<scenario>: `run <scenario> --expect`).
#
# Scenario defaults: CPUS 2, ENV "" (km_env defaults, model/src/km_envparse.c),
# EXPECT clean, BUDGET 10000, SUMMARY "<name>: <settings>". A scenario's ENTRY
# overrides the driver's; SELECT names a `void f(void)` the driver provides,
# run before each execution's DriverEntry (to pick a variant at run time).
# CLIENT names a `VOID f(PVOID Context)` the driver's sources provide (driver
# code, model/include/km_client.h): the scenario's client, run on a passive
# thread once the device has started, for drivers that export an interface
# (WdfDeviceAddQueryInterface) instead of taking I/O requests; with a client a
# driver needs no default queue, and without one the I/O manager sends nothing.
# The flags are the dmarace build's own (DR_SANITIZER, clang's access
# instrumentation), so the same call works in every preset.
# Sources may be C (.c: C17 with GNU extensions) or C++ (.cpp, .cc, .cxx:
# C++17, -fno-exceptions -fno-rtti; the calling project enables CXX). A
# source's `#include "X.tmh"` (WPP) and includes written in another letter
# case than the file resolve through a per-driver include directory in the
# build tree (_dmarace_driver_includes below, docs/byod.md).
include_guard(GLOBAL)

# What dmarace_add_driver needs from dmarace, as global properties: set by
# dmarace's top-level CMakeLists.txt in a source tree, by dmaraceConfig.cmake
# (cmake/dmaraceConfig.cmake.in) when installed:
#   DMARACE_DRIVER_FLAGS        driver code's compile options (the build's sanitizer, access points, -g)
#   DMARACE_HARNESS_SAN_COMPILE the engine's compile options (for the registration file)
#   DMARACE_TOOL_INCLUDE        the model's headers (include scanning; frames in them are dmarace's)
# and the targets dmarace::dr_cli, dr_fuzz, dr_toys, dr_scenarios, dr_scn
# (aliases in a source tree, imported when installed).
set_property(GLOBAL PROPERTY DMARACE_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

if(NOT DMARACE_INSTALLED)
  # dmarace's own tests belong to dmarace: built when it is the top-level
  # project, not when another project adds it as a subdirectory (BUILD_TESTING
  # there is that project's). A normal variable here is seen by include(CTest)
  # in dmarace's scope only (policy CMP0077).
  option(DMARACE_TESTS "build and register dmarace's own tests" ${PROJECT_IS_TOP_LEVEL})
  if(NOT DMARACE_TESTS)
    set(BUILD_TESTING OFF)
  endif()
endif()

# _dmarace_link_whole(<target> <libraries>...): link each static library
# whole. dmarace's scenarios register themselves from constructors and the
# CLI's library carries main(): nothing else pulls their objects in.
function(_dmarace_link_whole target)
  foreach(lib IN LISTS ARGN)
    target_link_libraries(${target} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${lib}>")
  endforeach()
endfunction()

# _dmarace_volatile_sites(<target> <out-var> <sources>...): the race
# detector's table of the sources' volatile loads and stores (docs/races.md).
# The sources are compiled a second time, to LLVM IR (-S -emit-llvm) with
# <target>'s own flags, in an object library whose "objects" are never
# linked; cmake/dmarace_volatile.awk lists each volatile access's debug
# location in a generated C file, named in <out-var>, whose constructor
# registers them. The caller adds that file to what links the driver.
# No LLVM tool is needed (clang writes the IR, awk reads it); without clang
# no table is made and volatile accesses read as plain ones.
function(_dmarace_volatile_sites target out)
  set(${out} "" PARENT_SCOPE)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    return()
  endif()
  get_property(cmake_dir GLOBAL PROPERTY DMARACE_CMAKE_DIR)
  get_property(n TARGET ${target} PROPERTY DMARACE_VOLATILE_TABLES)
  if(n STREQUAL "")
    set(n 0)
  endif()
  math(EXPR n "${n} + 1")
  set_property(TARGET ${target} PROPERTY DMARACE_VOLATILE_TABLES ${n})
  string(MAKE_C_IDENTIFIER "${target}_${n}" tag)
  set(ir ${target}-volatile-ir-${n})
  add_library(${ir} OBJECT EXCLUDE_FROM_ALL ${ARGN})
  set_target_properties(${ir} PROPERTIES
    INCLUDE_DIRECTORIES "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>"
    COMPILE_DEFINITIONS "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>"
    COMPILE_OPTIONS "$<TARGET_PROPERTY:${target},COMPILE_OPTIONS>")
  target_link_libraries(${ir} PRIVATE "$<TARGET_PROPERTY:${target},LINK_LIBRARIES>")
  target_compile_options(${ir} PRIVATE -g -S -emit-llvm)
  set(gen "${CMAKE_CURRENT_BINARY_DIR}/${tag}_volatile_sites.c")
  add_custom_command(OUTPUT "${gen}"
    COMMAND awk -v "out=${gen}" -v "tag=${tag}" -f "${cmake_dir}/dmarace_volatile.awk" "$<TARGET_OBJECTS:${ir}>"
    DEPENDS ${ir} "$<TARGET_OBJECTS:${ir}>" "${cmake_dir}/dmarace_volatile.awk"
    COMMAND_EXPAND_LISTS VERBATIM
    COMMENT "Listing the volatile accesses of ${target}")
  set(${out} "${gen}" PARENT_SCOPE)
endfunction()

# Quote a CMake string as a C string literal.
function(_dmarace_c_string out value)
  string(REPLACE "\\" "\\\\" value "${value}")
  string(REPLACE "\"" "\\\"" value "${value}")
  string(REPLACE "\n" "\\n" value "${value}")
  set(${out} "\"${value}\"" PARENT_SCOPE)
endfunction()

# ---- a driver's includes: WPP's .tmh files, include names in another case ----------
# A Windows driver's sources include "Trace.h" and "Driver.tmh" where the file
# is trace.h and no .tmh exists (the WPP preprocessor writes it at build time).
# _dmarace_driver_includes scans the driver's sources and the headers beside
# them and in its include directories, and fills <inc_dir> (a per-driver
# directory in the build tree, never in the source tree):
#  - X.tmh for every `#include "X.tmh"`: a stand-in for WPP's output that
#    defines a macro for each trace function a "begin_wpp config" block
#    declares (FUNC Name{K=V}(LEVEL, FLAGS, MSG, ...);) over <km_wpp.h>;
#  - a symbolic link named as the include is written, for every included
#    name no file has but one differs only in letter case (or uses \ for /),
#    pointing at that file.
# Scanned at configure time; the scanned files re-run the configuration when
# they change.

# The file `name` names under `dir`, matching each path component without
# regard to case; "" if none.
function(_dmarace_ci_resolve out dir name)
  string(REPLACE "\\" "/" name "${name}")
  string(REPLACE "/" ";" parts "${name}")
  set(cur "${dir}")
  foreach(part IN LISTS parts)
    if(part STREQUAL "" OR part STREQUAL ".")
      continue()
    endif()
    if(EXISTS "${cur}/${part}")
      set(cur "${cur}/${part}")
      continue()
    endif()
    if(part STREQUAL ".." OR NOT IS_DIRECTORY "${cur}")
      set(${out} "" PARENT_SCOPE)
      return()
    endif()
    string(TOLOWER "${part}" want)
    file(GLOB children RELATIVE "${cur}" "${cur}/*")
    set(found "")
    foreach(c IN LISTS children)
      string(TOLOWER "${c}" lc)
      if(lc STREQUAL want)
        set(found "${c}")
        break()
      endif()
    endforeach()
    if(found STREQUAL "")
      set(${out} "" PARENT_SCOPE)
      return()
    endif()
    set(cur "${cur}/${found}")
  endforeach()
  if(IS_DIRECTORY "${cur}")
    set(cur "")
  endif()
  set(${out} "${cur}" PARENT_SCOPE)
endfunction()

# The macros of one WPP configuration line "FUNC ..." (appended to var).
function(_dmarace_wpp_func var line prefixes suffixes)
  if(NOT line MATCHES "^FUNC[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*({[^}]*})?[ \t]*\\((.*)\\)[ \t]*;?[ \t]*$")
    return()
  endif()
  set(fname "${CMAKE_MATCH_1}")
  set(fixed "${CMAKE_MATCH_2}")
  set(params "${CMAKE_MATCH_3}")
  string(STRIP "${params}" params)
  set(double FALSE)
  if(params MATCHES "^\\((.*)\\)$")
    set(double TRUE)
    set(params "${CMAKE_MATCH_1}")
  endif()
  string(REPLACE "," ";" plist "${params}")
  set(names "")
  set(tags "")
  set(has_msg FALSE)
  set(variadic FALSE)
  foreach(p IN LISTS plist)
    string(STRIP "${p}" p)
    if(p STREQUAL "...")
      set(variadic TRUE)
      continue()
    endif()
    if(NOT p MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
      message(WARNING "dmarace: WPP FUNC ${fname}: parameter '${p}' not understood; ${fname} is left undefined")
      return()
    endif()
    list(APPEND names "${p}")
    if(p STREQUAL "MSG")
      set(has_msg TRUE)
    elseif(NOT p STREQUAL "IFRLOG")
      list(APPEND tags "#${p}")
    endif()
  endforeach()
  # {LEVEL=TRACE_LEVEL_ERROR, FLAGS=X}: fixed values, named after the call's own
  if(fixed MATCHES "^{(.*)}$")
    string(REPLACE "," ";" flist "${CMAKE_MATCH_1}")
    foreach(f IN LISTS flist)
      if(f MATCHES "=[ \t]*([^ \t]+)[ \t]*$")
        list(APPEND tags "\"${CMAKE_MATCH_1}\"")
      endif()
    endforeach()
  endif()
  list(JOIN tags " \" \" " tagexpr)
  if(tagexpr STREQUAL "")
    set(tagexpr "\"\"")
  endif()
  set(msg "")
  foreach(kind prefixes suffixes)
    set(${kind}_lit "")
    foreach(entry IN LISTS ${kind})
      if(entry MATCHES "^([^=]*)=(.*)$")
        if(CMAKE_MATCH_1 STREQUAL fname OR CMAKE_MATCH_1 STREQUAL "*")
          set(${kind}_lit "${CMAKE_MATCH_2}")
        endif()
      endif()
    endforeach()
  endforeach()
  set(msg "${prefixes_lit}")
  if(has_msg)
    string(APPEND msg " MSG")
  endif()
  string(APPEND msg " ${suffixes_lit}")
  string(STRIP "${msg}" msg)
  if(msg STREQUAL "")
    set(msg "\"\"")
  endif()
  set(args "${names}")
  if(variadic)
    list(APPEND args "...")
    set(body "KM_WPP_TRACE(\"${fname}\", ${tagexpr}, ${msg} __VA_OPT__(, ) __VA_ARGS__)")
  else()
    set(body "KM_WPP_TRACE(\"${fname}\", ${tagexpr}, ${msg})")
  endif()
  list(JOIN args ", " arglist)
  set(text "#undef ${fname}\n")
  if(double)
    string(APPEND text "#define ${fname}(_x_) KM_WPP_${fname}_ _x_\n#define KM_WPP_${fname}_(${arglist}) ${body}\n")
  else()
    string(APPEND text "#define ${fname}(${arglist}) ${body}\n")
  endif()
  set(${var} "${${var}}${text}" PARENT_SCOPE)
endfunction()

function(_dmarace_driver_includes name inc_dir sources dirs)
  get_property(tool_include GLOBAL PROPERTY DMARACE_TOOL_INCLUDE)
  set(files ${sources})
  foreach(d IN LISTS dirs)
    file(GLOB hs "${d}/*.h" "${d}/*.H" "${d}/*.hpp" "${d}/*.hxx" "${d}/*.hh" "${d}/*.inl")
    list(APPEND files ${hs})
  endforeach()
  list(REMOVE_DUPLICATES files)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${files})
  set(tmhs "")
  set(funcs "")
  set(prefixes "")
  set(suffixes "")
  set(linked "")
  foreach(f IN LISTS files)
    get_filename_component(fdir "${f}" DIRECTORY)
    # WPP configuration blocks
    file(STRINGS "${f}" marks REGEX "begin_wpp")
    if(marks)
      file(READ "${f}" body)
      while(TRUE)
        string(FIND "${body}" "begin_wpp" b)
        if(b EQUAL -1)
          break()
        endif()
        string(SUBSTRING "${body}" ${b} -1 body)
        string(FIND "${body}" "end_wpp" e)
        if(e EQUAL -1)
          set(e 0)
        endif()
        string(SUBSTRING "${body}" 0 ${e} block)
        string(REPLACE ";" "," block "${block}") # CMake lists: the block's own ; end FUNC lines
        string(REGEX REPLACE "\r?\n" ";" lines "${block}")
        foreach(l IN LISTS lines)
          if(l MATCHES "^[ \t]*(//+|/\\*+|\\*+)?[ \t]*(.*)$") # the comment's // or *
            set(l "${CMAKE_MATCH_2}")
          endif()
          if(l MATCHES "^(.*)\\*/[ \t]*$")
            set(l "${CMAKE_MATCH_1}")
          endif()
          string(STRIP "${l}" l)
          if(l MATCHES "^(.*),$") # the line's ; became , above
            set(l "${CMAKE_MATCH_1}")
          endif()
          if(l MATCHES "^USE(PREFIX|SUFFIX)[ \t]*\\([ \t]*([A-Za-z0-9_*]+)[ \t]*,[ \t]*(\"([^\"\\\\]|\\\\.)*\")[ \t]*\\)$")
            string(TOLOWER "${CMAKE_MATCH_1}es" kind)
            list(APPEND ${kind} "${CMAKE_MATCH_2}=${CMAKE_MATCH_3}")
          elseif(l MATCHES "^FUNC[ \t]")
            list(APPEND funcs "${l}")
          endif()
        endforeach()
        if(e EQUAL 0)
          break()
        endif()
        string(SUBSTRING "${body}" ${e} -1 body)
      endwhile()
    endif()
    # includes
    file(STRINGS "${f}" incs REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][^\">]+[\">]")
    foreach(inc IN LISTS incs)
      if(NOT inc MATCHES "#[ \t]*include[ \t]*([\"<])([^\">]+)[\">]")
        continue()
      endif()
      set(quoted "${CMAKE_MATCH_1}")
      set(iname "${CMAKE_MATCH_2}")
      if(iname MATCHES "\\.tmh$")
        list(APPEND tmhs "${iname}")
        continue()
      endif()
      if(iname IN_LIST linked OR IS_ABSOLUTE "${iname}" OR iname MATCHES "(^|/)\\.\\.(/|$)")
        continue()
      endif()
      set(search ${dirs} "${tool_include}")
      if(quoted STREQUAL "\"")
        list(PREPEND search "${fdir}")
      endif()
      set(exact FALSE)
      foreach(d IN LISTS search)
        if(EXISTS "${d}/${iname}" AND NOT iname MATCHES "\\\\")
          set(exact TRUE)
          break()
        endif()
      endforeach()
      if(exact)
        continue()
      endif()
      foreach(d IN LISTS search)
        _dmarace_ci_resolve(target "${d}" "${iname}")
        if(target)
          if(iname MATCHES "^(.*)/[^/]*$") # a name with \ is one file name here
            file(MAKE_DIRECTORY "${inc_dir}/${CMAKE_MATCH_1}")
          endif()
          file(CREATE_LINK "${target}" "${inc_dir}/${iname}" SYMBOLIC)
          list(APPEND linked "${iname}")
          break()
        endif()
      endforeach()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES tmhs)
  if(tmhs)
    set(macros "")
    foreach(l IN LISTS funcs)
      _dmarace_wpp_func(macros "${l}" "${prefixes}" "${suffixes}")
    endforeach()
    foreach(t IN LISTS tmhs)
      string(CONCAT content "/* ${t}: generated by dmarace_add_driver(${name}) (cmake/dmarace.cmake), a stand-in\n"
                            " * for the WPP preprocessor's output: the trace functions the driver's\n"
                            " * \"begin_wpp config\" blocks declare, over km_wpp.h (docs/byod.md). */\n"
                            "#include <km_wpp.h>\n${macros}")
      get_filename_component(tdir "${inc_dir}/${t}" DIRECTORY)
      file(MAKE_DIRECTORY "${tdir}")
      file(WRITE "${inc_dir}/${t}.new" "${content}")
      configure_file("${inc_dir}/${t}.new" "${inc_dir}/${t}" COPYONLY)
      file(REMOVE "${inc_dir}/${t}.new")
    endforeach()
  endif()
endfunction()

function(dmarace_add_driver name)
  get_property(cmake_dir GLOBAL PROPERTY DMARACE_CMAKE_DIR)
  get_property(found GLOBAL PROPERTY DMARACE_TOOL_INCLUDE SET)
  if(NOT found)
    message(FATAL_ERROR "dmarace_add_driver(${name}): find dmarace first: find_package(dmarace) for an installed "
                        "dmarace, or add_subdirectory(<path-to-dmarace> dmarace) for a source tree")
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9_.+-]+$")
    message(FATAL_ERROR "dmarace_add_driver: '${name}' is not a usable target name (letters, digits, _ . + -)")
  endif()

  # Arguments, read one by one so that empty values (ENV "") survive.
  set(multi SOURCES INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS LINK_LIBRARIES)
  set(single ENTRY CPUS ENV EXPECT BUDGET SUMMARY SELECT CLIENT)
  set(mode "")
  set(entry "")
  set(no_builtin FALSE)
  set(nscn 0)
  foreach(k IN LISTS multi)
    set(arg_${k} "")
  endforeach()
  set(i 1)
  while(i LESS ARGC)
    set(a "${ARGV${i}}")
    math(EXPR i "${i} + 1")
    if(a IN_LIST multi)
      set(mode ${a})
    elseif(a STREQUAL "NO_BUILTIN_SCENARIOS")
      set(no_builtin TRUE)
      set(mode "")
    elseif(a STREQUAL "SCENARIO" OR a IN_LIST single)
      if(NOT i LESS ARGC)
        message(FATAL_ERROR "dmarace_add_driver(${name}): ${a} needs a value")
      endif()
      set(v "${ARGV${i}}")
      math(EXPR i "${i} + 1")
      set(mode "")
      if(a STREQUAL "SCENARIO")
        math(EXPR nscn "${nscn} + 1")
        set(s${nscn}_SCENARIO "${v}")
        foreach(k CPUS EXPECT BUDGET SUMMARY ENTRY SELECT CLIENT ENV)
          set(s${nscn}_${k} "")
          set(s${nscn}_has_${k} FALSE)
        endforeach()
      elseif(nscn EQUAL 0 AND a STREQUAL "ENTRY")
        set(entry "${v}")
      elseif(nscn EQUAL 0)
        message(FATAL_ERROR "dmarace_add_driver(${name}): ${a} belongs to a SCENARIO; put it after SCENARIO <name>")
      else()
        if(s${nscn}_has_${a})
          message(FATAL_ERROR "dmarace_add_driver(${name}): ${a} given twice for scenario ${s${nscn}_SCENARIO}")
        endif()
        set(s${nscn}_${a} "${v}")
        set(s${nscn}_has_${a} TRUE)
      endif()
    elseif(mode)
      list(APPEND arg_${mode} "${a}")
    else()
      message(FATAL_ERROR "dmarace_add_driver(${name}): unexpected argument '${a}'")
    endif()
  endwhile()

  if(NOT arg_SOURCES)
    message(FATAL_ERROR "dmarace_add_driver(${name}): SOURCES is required")
  endif()
  if(NOT entry MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "dmarace_add_driver(${name}): ENTRY <DriverEntry function name> is required (a C identifier)")
  endif()
  if(nscn EQUAL 0)
    message(FATAL_ERROR "dmarace_add_driver(${name}): declare at least one SCENARIO")
  endif()

  # The dmarace build's flags.
  get_property(DR_DRIVER_FLAGS GLOBAL PROPERTY DMARACE_DRIVER_FLAGS)
  get_property(DR_HARNESS_SAN_COMPILE GLOBAL PROPERTY DMARACE_HARNESS_SAN_COMPILE)
  get_property(tool_include GLOBAL PROPERTY DMARACE_TOOL_INCLUDE)

  set(gen_dir "${CMAKE_CURRENT_BINARY_DIR}/dmarace-${name}.generated")

  # ---- the registration file: SCN_DRIVER / SCN_ROW per scenario ----
  get_property(taken GLOBAL PROPERTY DMARACE_USER_SCENARIOS)
  set(decls "")
  set(rows "")
  set(declared "")
  foreach(n RANGE 1 ${nscn})
    set(scn "${s${n}_SCENARIO}")
    if(NOT scn MATCHES "^[A-Za-z0-9_.+-]+$")
      message(FATAL_ERROR "dmarace_add_driver(${name}): scenario name '${scn}' (letters, digits, _ . + -)")
    endif()
    string(LENGTH "${scn}" len)
    if(len GREATER 63)
      message(FATAL_ERROR "dmarace_add_driver(${name}): scenario name '${scn}' is longer than 63 characters")
    endif()
    if(scn IN_LIST taken)
      message(FATAL_ERROR "dmarace_add_driver(${name}): scenario '${scn}' is declared twice")
    endif()
    list(APPEND taken "${scn}")

    set(cpus 2)
    if(s${n}_has_CPUS)
      set(cpus "${s${n}_CPUS}")
    endif()
    if(NOT cpus MATCHES "^[1-4]$") # SCN_ROW's largest --cpus (scenarios/scn.h)
      message(FATAL_ERROR "dmarace_add_driver(${name}): scenario ${scn}: CPUS takes 1 to 4, not '${cpus}'")
    endif()
    set(budget 10000)
    if(s${n}_has_BUDGET)
      set(budget "${s${n}_BUDGET}")
    endif()
    if(NOT budget MATCHES "^[1-9][0-9]*$")
      message(FATAL_ERROR "dmarace_add_driver(${name}): scenario ${scn}: BUDGET takes a whole number >= 1, not '${budget}'")
    endif()
    set(expect clean)
    if(s${n}_has_EXPECT)
      set(expect "${s${n}_EXPECT}")
    endif()
    if(NOT expect MATCHES "^(clean|(assertion|check|framework|crash|deadlock|livelock|data-race|hang)(:.+)?)$")
      message(FATAL_ERROR "dmarace_add_driver(${name}): scenario ${scn}: EXPECT takes clean, a finding kind "
                          "(assertion check framework crash deadlock livelock data-race hang) or kind:title-part, "
                          "not '${expect}'")
    endif()
    set(env "${s${n}_ENV}")
    set(summary "${s${n}_SUMMARY}")
    if(NOT s${n}_has_SUMMARY)
      if(env STREQUAL "")
        set(summary "${name}: default environment")
      else()
        set(summary "${name}: ${env}")
      endif()
    endif()
    set(fn "${entry}")
    if(s${n}_has_ENTRY)
      set(fn "${s${n}_ENTRY}")
    endif()
    set(sel NULL)
    if(s${n}_has_SELECT)
      set(sel "${s${n}_SELECT}")
    endif()
    set(client NULL)
    if(s${n}_has_CLIENT)
      set(client "${s${n}_CLIENT}")
    endif()
    foreach(id IN ITEMS ${fn} ${sel} ${client})
      if(NOT id MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
        message(FATAL_ERROR "dmarace_add_driver(${name}): scenario ${scn}: '${id}' is not a C function name")
      endif()
    endforeach()
    if(NOT fn IN_LIST declared)
      string(APPEND decls "KM_DRIVER_ENTRY ${fn};\n")
      list(APPEND declared ${fn})
    endif()
    if(NOT sel STREQUAL "NULL" AND NOT "${sel}()" IN_LIST declared)
      string(APPEND decls "void ${sel}(void);\n")
      list(APPEND declared "${sel}()")
    endif()
    if(NOT client STREQUAL "NULL" AND NOT "${client}(c)" IN_LIST declared)
      string(APPEND decls "KM_CLIENT ${client};\n")
      list(APPEND declared "${client}(c)")
    endif()
    _dmarace_c_string(q_name "${name}")
    _dmarace_c_string(q_scn "${scn}")
    _dmarace_c_string(q_env "${env}")
    _dmarace_c_string(q_expect "${expect}")
    _dmarace_c_string(q_summary "${summary}")
    string(APPEND rows "SCN_DRIVER_CLIENT(byod_driver_${n}, ${q_name}, ${fn}, ${sel}, ${client});\n"
                       "SCN_ROW(byod_scenario_${n}, ${q_scn}, byod_driver_${n}, ${cpus}, ${q_env}, ${q_expect}, "
                       "${budget},\n        ${q_summary})\n")
    set(scn_${n}_name "${scn}")
  endforeach()
  set_property(GLOBAL PROPERTY DMARACE_USER_SCENARIOS "${taken}")

  set(gen "${gen_dir}/scenarios.c")
  _dmarace_c_string(q_root "${CMAKE_CURRENT_SOURCE_DIR}")
  _dmarace_c_string(q_tool "${tool_include}")
  string(CONCAT content "/* Generated by dmarace_add_driver(${name}) (cmake/dmarace.cmake): the scenarios of\n"
                        " * driver ${name}. Edit the dmarace_add_driver call, not this file. */\n"
                        "#include \"scn.h\"\n\n"
                        "/* Findings name the driver's lines relative to its project (dr/dr.h). */\n"
                        "DR_PROGRAM_PATHS(${q_root}, ${q_tool});\n\n${decls}\n${rows}")
  # Written through a copy, so that an unchanged file keeps its time stamp.
  file(WRITE "${gen}.new" "${content}")
  configure_file("${gen}.new" "${gen}" COPYONLY)

  # ---- the driver's includes: .tmh stand-ins, names in another case ----
  set(srcs_abs "")
  set(dirs "")
  set(has_cxx FALSE)
  set(src_dirs "")
  foreach(src IN LISTS arg_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND srcs_abs "${abs}")
    get_filename_component(d "${abs}" DIRECTORY)
    list(APPEND dirs "${d}")
    list(APPEND src_dirs "${d}")
    if(abs MATCHES "\\.(cpp|cc|cxx)$")
      set(has_cxx TRUE)
    endif()
  endforeach()
  foreach(d IN LISTS arg_INCLUDE_DIRECTORIES)
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND dirs "${d}")
  endforeach()
  list(REMOVE_DUPLICATES dirs)
  if(has_cxx AND NOT CMAKE_CXX_COMPILER_LOADED)
    message(FATAL_ERROR "dmarace_add_driver(${name}): C++ sources need C++ enabled: "
                        "project(<name> LANGUAGES C CXX) in the calling project")
  endif()
  set(inc_dir "${gen_dir}/include")
  file(MAKE_DIRECTORY "${inc_dir}")
  _dmarace_driver_includes(${name} "${inc_dir}" "${srcs_abs}" "${dirs}")

  # ---- the driver, compiled once as driver code for both executables ----
  # C as C17 with GNU extensions, C++ as C++17 without exceptions and RTTI
  # (as kernel C++ is), both with the driver flags; MSVC's pragmas are ignored.
  set(drv dmarace-${name}-driver)
  add_library(${drv} OBJECT ${arg_SOURCES})
  set_target_properties(${drv} PROPERTIES C_STANDARD 17 C_STANDARD_REQUIRED ON C_EXTENSIONS ON)
  if(has_cxx)
    set_target_properties(${drv} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  endif()
  target_link_libraries(${drv} PRIVATE dmarace::dr_model ${arg_LINK_LIBRARIES}) # usage requirements (include paths) only
  target_include_directories(${drv} PRIVATE ${arg_INCLUDE_DIRECTORIES} "${inc_dir}")
  # MSVC looks for a quoted include in the directories of every file on the
  # include stack; gcc and clang only in the including file's. A header
  # reached through a case link in inc_dir includes its neighbours by name:
  # the sources' directories as -iquote give them back.
  list(REMOVE_DUPLICATES src_dirs)
  foreach(d IN LISTS src_dirs)
    target_compile_options(${drv} PRIVATE "-iquote${d}")
  endforeach()
  target_compile_definitions(${drv} PRIVATE ${arg_COMPILE_DEFINITIONS})
  # As dr_driver_sources does for the built-in drivers, but per target: the
  # same files may belong to other targets of the calling project.
  set(lenient -Wno-unknown-pragmas)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    list(APPEND lenient -Wno-nonportable-include-path) # the links above name the file in another case
  endif()
  # (lenient last: a -Wall in COMPILE_OPTIONS must not turn MSVC's pragmas into warnings again)
  target_compile_options(${drv} PRIVATE ${DR_HARNESS_SAN_COMPILE} ${DR_DRIVER_FLAGS}
                                        "$<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions;-fno-rtti>"
                                        ${arg_COMPILE_OPTIONS} ${lenient})

  # Each executable is linked as its built-in model is (dmarace, fuzz_scenario):
  # the CLI or the fuzz target's library, the toys and the built-in scenarios,
  # plus the driver and its registration file.
  _dmarace_volatile_sites(${drv} vol ${arg_SOURCES})
  add_executable(dmarace-${name} $<TARGET_OBJECTS:${drv}> "${gen}" ${vol})
  add_executable(dmarace-${name}-fuzz $<TARGET_OBJECTS:${drv}> "${gen}" ${vol})
  set(builtin dmarace::dr_toys)
  if(NOT no_builtin)
    list(APPEND builtin dmarace::dr_scenarios)
  endif()
  _dmarace_link_whole(dmarace-${name} dmarace::dr_cli ${builtin})
  _dmarace_link_whole(dmarace-${name}-fuzz dmarace::dr_fuzz ${builtin})

  # A driver's global symbol that a built-in driver also defines would be one
  # symbol for both (WDF_DECLARE_CONTEXT_TYPE's type info is a weak symbol:
  # two DEVICE_CONTEXT types would silently share one size).
  set(check "")
  if(NOT no_builtin AND CMAKE_NM)
    set(check COMMAND "${CMAKE_COMMAND}" "-DNM=${CMAKE_NM}" "-DDRIVER=${name}"
              "-DUSER_OBJECTS=$<TARGET_OBJECTS:${drv}>" "-DBUILTIN_OBJECTS=$<TARGET_FILE:dmarace::dr_scenarios>"
              -P "${cmake_dir}/dmarace_check_symbols.cmake")
  endif()

  foreach(exe dmarace-${name} dmarace-${name}-fuzz)
    set_target_properties(${exe} PROPERTIES C_STANDARD 17 C_STANDARD_REQUIRED ON C_EXTENSIONS ON)
    if(has_cxx)
      set_target_properties(${exe} PROPERTIES LINKER_LANGUAGE CXX) # the C++ runtime (operator new...)
    endif()
    target_link_libraries(${exe} PRIVATE dmarace::dr_scn ${arg_LINK_LIBRARIES})
    target_compile_options(${exe} PRIVATE ${DR_HARNESS_SAN_COMPILE})
    if(check)
      add_custom_command(TARGET ${exe} PRE_LINK ${check} VERBATIM)
    endif()
  endforeach()

  # A scenario name a built-in scenario has already would make `run NAME`
  # pick either: list the scenarios of the linked binary and count.
  if(NOT CMAKE_CROSSCOMPILING)
    set(names "")
    foreach(n RANGE 1 ${nscn})
      list(APPEND names "${scn_${n}_name}")
    endforeach()
    add_custom_command(TARGET dmarace-${name} POST_BUILD
      COMMAND "${CMAKE_COMMAND}" "-DEXE=$<TARGET_FILE:dmarace-${name}>" "-DDRIVER=${name}" "-DSCENARIOS=${names}"
              -P "${cmake_dir}/dmarace_check_names.cmake"
      VERBATIM)
  endif()

  if(BUILD_TESTING)
    foreach(n RANGE 1 ${nscn})
      set(scn "${scn_${n}_name}")
      add_test(NAME dmarace-${name}.${scn}
               COMMAND dmarace-${name} run ${scn} --expect --quiet
                       --findings "${CMAKE_CURRENT_BINARY_DIR}/findings/dmarace-${name}.${scn}")
      set_tests_properties(dmarace-${name}.${scn} PROPERTIES LABELS dmarace)
    endforeach()
  endif()
endfunction()
