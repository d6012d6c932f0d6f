# `cmake --install build/<preset> [--prefix P]` (scripts/setup: /usr/local)
# lays verger out so that nothing it needs points into the build tree or
# the checkout:
#   bin/verger, bin/verger-dask               the CLI and the Dask launcher
#   lib/libverger_{torch,opencv}.so           backend plugins (dlopen'ed on demand)
#   lib/libduckdb.so                          when built against third_party/duckdb
#   <VERGER_PYTHON_INSTALL_DIR>/verger/       the Python package (default
#                                             lib/python3/dist-packages: on Debian's
#                                             /usr/bin/python3 path for /usr/local)
#   share/verger/models/                      the shipped networks, copied from
#                                             VERGER_DEFAULT_MODELS_DIR (../shared/models)
#   share/verger/scripts/convert_vgg16.py     used by the torch backend for .h5/ONNX VGG16
# Binaries find lib/ through a relative RUNPATH ($ORIGIN/...), and the data
# through the same relation (src/model/data_dir.h).
set(VERGER_PYTHON_INSTALL_DIR "lib/python3/dist-packages" CACHE STRING
    "Where `make install` puts the verger Python package, relative to the prefix")

# $ORIGIN-relative path from an installed folder to the library folder.
function(verger_origin_rpath target from_dir)
  file(RELATIVE_PATH rel "/prefix/${from_dir}" "/prefix/${CMAKE_INSTALL_LIBDIR}")
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${rel}")
endfunction()

verger_origin_rpath(verger ${CMAKE_INSTALL_BINDIR})
verger_origin_rpath(verger_python ${VERGER_PYTHON_INSTALL_DIR}/verger)
install(TARGETS verger RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS verger_python LIBRARY DESTINATION ${VERGER_PYTHON_INSTALL_DIR}/verger)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/python/verger/ DESTINATION ${VERGER_PYTHON_INSTALL_DIR}/verger
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)

# The launcher finds the package relative to itself, wherever the prefix is.
file(RELATIVE_PATH verger_bin_to_py "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${VERGER_PYTHON_INSTALL_DIR}")
file(WRITE ${PROJECT_BINARY_DIR}/install/verger-dask
"#!/bin/sh\n# Cluster mode of `verger run` on Dask (docs/cluster.md): python3 -m verger.dask.\n\
here=$(dirname \"$(readlink -f \"$0\")\")\n\
PYTHONPATH=\"$here/${verger_bin_to_py}\${PYTHONPATH:+:\$PYTHONPATH}\" exec /usr/bin/python3 -m verger.dask \"$@\"\n")
install(PROGRAMS ${PROJECT_BINARY_DIR}/install/verger-dask DESTINATION ${CMAKE_INSTALL_BINDIR})

# DuckDB from third_party/ (not a system package) travels with verger.
string(FIND "${VERGER_DUCKDB_LIBRARY}" "${VERGER_DUCKDB_DIR}/" verger_duckdb_pos)
if(verger_duckdb_pos EQUAL 0)
  get_filename_component(verger_duckdb_real "${VERGER_DUCKDB_LIBRARY}" REALPATH)
  install(FILES "${verger_duckdb_real}" DESTINATION ${CMAKE_INSTALL_LIBDIR} RENAME libduckdb.so)
endif()

if(IS_DIRECTORY "${VERGER_DEFAULT_MODELS_DIR}")
  install(DIRECTORY "${VERGER_DEFAULT_MODELS_DIR}/" DESTINATION ${CMAKE_INSTALL_DATADIR}/verger/models)
else()
  message(WARNING "No shipped models in ${VERGER_DEFAULT_MODELS_DIR}: the install will have no "
                  "share/verger/models; built-in models then need VERGER_MODELS_DIR")
endif()
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/convert_vgg16.py DESTINATION ${CMAKE_INSTALL_DATADIR}/verger/scripts)
