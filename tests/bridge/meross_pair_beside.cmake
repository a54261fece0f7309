# meross-bridge as installed (a folder holding it and, or not, meross-pair; hard links, since
# /proc/self/exe resolves symbolic ones): a device command runs the meross-pair beside it, and
# says so and exits 127 when there is none.
# cmake -DBRIDGE=... -DPAIR=... -DDIR=... -P meross_pair_beside.cmake
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}/bin")
file(CREATE_LINK "${BRIDGE}" "${DIR}/bin/meross-bridge" COPY_ON_ERROR)

execute_process(COMMAND "${DIR}/bin/meross-bridge" pair --help
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 127 OR NOT err MATCHES "pair is run by meross-pair")
  message(FATAL_ERROR "without meross-pair: exit ${code}, stdout:\n${out}\nstderr:\n${err}")
endif()

file(CREATE_LINK "${PAIR}" "${DIR}/bin/meross-pair" COPY_ON_ERROR)
execute_process(COMMAND "${DIR}/bin/meross-bridge" pair --help
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0 OR NOT out MATCHES "Usage: ${DIR}/bin/meross-pair pair .*--ssid")
  message(FATAL_ERROR "with meross-pair: exit ${code}, stdout:\n${out}\nstderr:\n${err}")
endif()
file(REMOVE_RECURSE "${DIR}")
