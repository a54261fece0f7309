# Fails when PROGRAM's ELF dynamic section asks the loader for one of FORBIDDEN (a ;-list of
# library names without the ".so..." tail, e.g. "libcurl"): meross-bridge keeps libcurl and its
# library tree out of the daemon's memory (docs/architecture.md, "Memory").
# cmake -DREADELF=... -DPROGRAM=... -DFORBIDDEN=libcurl -P no_libcurl.cmake
cmake_minimum_required(VERSION 3.20)
execute_process(COMMAND "${READELF}" --dynamic "${PROGRAM}"
  OUTPUT_VARIABLE dynamic ERROR_VARIABLE problem RESULT_VARIABLE code)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "${READELF} --dynamic ${PROGRAM} failed (${code}): ${problem}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]\n]+\\]" entries "${dynamic}")
set(needed "")
foreach(entry IN LISTS entries)
  string(REGEX REPLACE ".*\\[([^]]+)\\]" "\\1" library "${entry}")
  list(APPEND needed "${library}")
endforeach()
# A dynamic section this script cannot read must not pass for a clean one.
if(NOT "libc.so.6" IN_LIST needed)
  message(FATAL_ERROR "no NEEDED libc.so.6 read from ${PROGRAM}: is it a dynamic ELF program?")
endif()
foreach(library IN LISTS needed)
  foreach(name IN LISTS FORBIDDEN)
    if(library MATCHES "^${name}\\.so")
      message(FATAL_ERROR "${PROGRAM} needs ${library}, which it must not (NEEDED: ${needed})")
    endif()
  endforeach()
endforeach()
message(STATUS "${PROGRAM} NEEDED: ${needed}")
