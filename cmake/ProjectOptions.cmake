# Compile options shared by every target of the project.
add_library(meross_options INTERFACE)
target_compile_options(meross_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                       -Wno-sign-conversion)
target_include_directories(meross_options INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(meross_options INTERFACE
  RAPIDJSON_HAS_STDSTRING=1
  MEROSS_VERSION="${PROJECT_VERSION}")
if(MEROSS_WERROR)
  target_compile_options(meross_options INTERFACE -Werror)
endif()
if(MEROSS_SANITIZE OR MEROSS_FUZZ)
  target_compile_options(meross_options INTERFACE -fsanitize=address,undefined
                         -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(meross_options INTERFACE -fsanitize=address,undefined)
endif()
if(MEROSS_FUZZ)
  # Recoverable so that tests/fuzz/ubsan.supp can silence RapidJSON's own pointer-overflow report.
  target_compile_options(meross_options INTERFACE -fsanitize-recover=pointer-overflow)
endif()
