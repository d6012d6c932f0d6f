# verger_library(NAME DEPS...): one static library per source folder, built
# from every *.cc beside the CMakeLists.txt except tests (*_test.cc), fuzzers
# (*_fuzz.cc) and mains (*_main.cc). Unit tests beside the code (*_test.cc)
# become one GoogleTest binary per folder, NAME_test.
function(verger_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "(_test|_fuzz|_main)\\.cc$")
  if(NOT srcs)  # a folder whose code is all headers (or not written yet)
    add_library(verger_${name} INTERFACE)
    target_include_directories(verger_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(verger_${name} INTERFACE ${ARG_DEPS})
  else()
    add_library(verger_${name} STATIC ${srcs})
    target_include_directories(verger_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(verger_${name} PUBLIC ${ARG_DEPS})
    target_compile_options(verger_${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  endif()
  if(VERGER_BUILD_TESTS)
    file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
    if(tests)
      add_executable(${name}_test ${tests})
      target_link_libraries(${name}_test PRIVATE verger_${name} ${ARG_TEST_DEPS} GTest::gtest_main GTest::gmock)
      # Tests that run the checkout's helper scripts find them here (__FILE__ is
      # relative when ccache rewrites paths).
      target_compile_definitions(${name}_test PRIVATE VERGER_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
      gtest_discover_tests(${name}_test TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60
                           PROPERTIES ENVIRONMENT "VERGER_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared" LABELS unit)
    endif()
  endif()
endfunction()
