# meross-bridge as installed (a folder holding it and, or not, meross-pair; hard links, since
# /proc/self/exe resolves symbolic ones): a device command runs the meross-pair beside it, and
# says so and exits 127 when there is none.
# cmake -DBRIDGE=... -DPAIR=... -DDIR=... -P meross_pair_beside.cmake
cmake_minimum_required(VERSION 3.20)

# Runs `DIR/bin/meross-bridge pair --help`; fails unless it exits with `expected` and its `stream`
# (out or err) matches `pattern`.
function(expect_pair_help case expected stream pattern)
  execute_process(COMMAND "${DIR}/bin/meross-bridge" pair --help
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL expected OR NOT "${${stream}}" MATCHES "${pattern}")
    message(FATAL_ERROR "${case}: exit ${code}, stdout:\n${out}\nstderr:\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}/bin")
file(CREATE_LINK "${BRIDGE}" "${DIR}/bin/meross-bridge" COPY_ON_ERROR)
expect_pair_help("without meross-pair" 127 err "pair is run by meross-pair")
file(CREATE_LINK "${PAIR}" "${DIR}/bin/meross-pair" COPY_ON_ERROR)
expect_pair_help("with meross-pair" 0 out "Usage: ${DIR}/bin/meross-pair pair .*--ssid")
file(REMOVE_RECURSE "${DIR}")
