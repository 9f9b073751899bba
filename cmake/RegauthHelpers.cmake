# Helpers that keep each module's CMakeLists.txt to one line per library, test or fuzzer.

# regauth_library(NAME SOURCES a.cc b.cc DEPS x y)
#   Declares static library regauth_<NAME> with alias regauth::<NAME>. Include paths are
#   relative to the repository root, so code includes "protocol/scope.h".
function(regauth_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(regauth_${name} STATIC ${ARG_SOURCES})
  add_library(regauth::${name} ALIAS regauth_${name})
  target_include_directories(regauth_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(regauth_${name} PUBLIC ${ARG_DEPS} PRIVATE regauth::build_flags)
endfunction()

# regauth_test(NAME SOURCES x_test.cc DEPS regauth::x [LABELS l])
#   One GoogleTest executable registered with ctest (tests discovered per case).
function(regauth_test name)
  if(NOT REGAUTH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
                        regauth::build_flags)
  target_compile_definitions(${name} PRIVATE
                             REGAUTH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                             REGAUTH_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
  if(ARG_LABELS)
    # gtest_discover_tests writes a list-valued LABELS unquoted (CMake 3.25), so only the first
    # label would stick; label the discovered tests again once the test list is known.
    set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
    file(WRITE ${labels_file}
         "foreach(test IN LISTS ${name}_TESTS)\n"
         "  set_tests_properties(\"\${test}\" PROPERTIES LABELS \"unit;${ARG_LABELS}\")\n"
         "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
  endif()
endfunction()

include(GoogleTest OPTIONAL)
