# verger_library(NAME DEPS...): one static library per source folder, built
# from every *.cc beside the CMakeLists.txt except tests (*_test.cc), fuzzers
# (*_fuzz.cc) and mains (*_main.cc). Unit tests beside the code (*_test.cc)
# become one GoogleTest binary per folder, NAME_test. EXCLUDE REGEX leaves
# matching sources out of the library (they go to a plugin instead).
function(verger_library name)
  cmake_parse_arguments(ARG "" "EXCLUDE" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "(_test|_fuzz|_main)\\.cc$")
  if(ARG_EXCLUDE)
    list(FILTER srcs EXCLUDE REGEX "${ARG_EXCLUDE}")
  endif()
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

# verger_backend_plugin(NAME DEPS...): libverger_NAME.so, an inference backend
# loaded with dlopen by CreatePluginBackend (src/model/backend_plugin.h), from
# every src/model/NAME_*.cc but tests. The objects are also an OBJECT library,
# verger_NAME_objects, for unit tests of their internals. Only the plugin's
# two C entry points are exported; the static verger libraries inside it stay
# private (-fvisibility=hidden, --exclude-libs).
function(verger_backend_plugin name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}_*.cc)
  list(FILTER srcs EXCLUDE REGEX "(_test|_fuzz|_main)\\.cc$")
  # NAME_plugin.cc holds the C entry points every plugin exports under the
  # same names: only the module gets it, so a test can link several backends.
  set(entry ${CMAKE_CURRENT_SOURCE_DIR}/${name}_plugin.cc)
  list(REMOVE_ITEM srcs ${entry})
  add_library(verger_${name}_objects OBJECT ${srcs})
  target_link_libraries(verger_${name}_objects PUBLIC verger_model ${ARG_DEPS})
  target_compile_options(verger_${name}_objects PRIVATE -Wall -Wextra -Wno-unused-parameter)
  set_target_properties(verger_${name}_objects PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  add_library(verger_${name} MODULE ${entry} $<TARGET_OBJECTS:verger_${name}_objects>)
  set_target_properties(verger_${name} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(verger_${name} PRIVATE verger_model ${ARG_DEPS})
  target_link_options(verger_${name} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)
  set_target_properties(verger_${name} PROPERTIES PREFIX "lib" OUTPUT_NAME verger_${name}
                        LIBRARY_OUTPUT_DIRECTORY ${VERGER_PLUGIN_BUILD_DIR})
  install(TARGETS verger_${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  add_dependencies(verger_plugins verger_${name})
endfunction()
