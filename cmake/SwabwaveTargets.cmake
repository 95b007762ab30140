# Interface targets for warnings and sanitizers: linked by each swabwave
# target, never set globally through CMAKE_CXX_FLAGS.

add_library(swabwave_warnings INTERFACE)
add_library(swabwave::warnings ALIAS swabwave_warnings)
target_compile_options(swabwave_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers
  $<$<BOOL:${SWABWAVE_WERROR}>:-Werror>)

add_library(swabwave_sanitizers INTERFACE)
add_library(swabwave::sanitizers ALIAS swabwave_sanitizers)
if(SWABWAVE_SANITIZE)
  # Line tables only (after the build type's -g, so they win): a report
  # still names file and line, and the sanitized builds, a third of CI's
  # time, compile and link markedly less debug info.
  target_compile_options(swabwave_sanitizers INTERFACE
    -fsanitize=${SWABWAVE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all
    $<IF:$<CXX_COMPILER_ID:Clang>,-gline-tables-only,-g1>)
  target_link_options(swabwave_sanitizers INTERFACE -fsanitize=${SWABWAVE_SANITIZE})
endif()
if(SWABWAVE_FUZZ)
  # Coverage for libFuzzer in every swabwave target, tests included (the
  # sanitizer runtime supplies the hooks where libFuzzer is not linked); the
  # fuzz targets link the fuzzer itself (tests/fuzz).
  target_compile_options(swabwave_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

# swabwave_cxx_target(name): C++20, warnings, sanitizers.
function(swabwave_cxx_target name)
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_link_libraries(${name} PRIVATE swabwave::warnings swabwave::sanitizers)
endfunction()

# swabwave_test(name SOURCES... LIBS...): one GoogleTest binary, discovered by ctest.
function(swabwave_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  swabwave_cxx_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
