# What `cmake --install` puts where, and how other projects find it:
#   include/output_step/output_step.h        the ABI, the one header a runner needs
#   ${LIBDIR}/output-step/*.so               the modules (webhook_output.so, redis_stream_output.so)
#   bin/                                     webhook-mock, journey-sim, output-runner
#   share/doc/webhook-output/                README, docs, examples
#   share/webhook-output/scenarios/          the scenarios (a demo from the installed files)
#   ${LIBDIR}/cmake/OutputStep/              find_package(OutputStep CONFIG)
#   ${LIBDIR}/pkgconfig/output-step.pc       pkg-config output-step
# The CMake package is relocatable (its paths relative to where it is found);
# output-step.pc names the prefix given at install time.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WO_MODULE_DIR ${CMAKE_INSTALL_LIBDIR}/output-step)
set(WO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/OutputStep)
set(WO_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/webhook-output)  # the package's name, not the project's

install(FILES plugin/include/output_step/output_step.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/output_step)
install(TARGETS output_step_abi EXPORT OutputStepTargets)
install(EXPORT OutputStepTargets NAMESPACE OutputStep:: DESTINATION ${WO_CMAKE_DIR})
install(TARGETS webhook_output redis_stream_output LIBRARY DESTINATION ${WO_MODULE_DIR})
install(TARGETS webhook-mock journey-sim output-runner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES README.md DESTINATION ${WO_DOC_DIR})
install(DIRECTORY docs/ DESTINATION ${WO_DOC_DIR})
install(DIRECTORY scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/webhook-output/scenarios)

# find_package(OutputStep CONFIG): the target OutputStep::headers and the
# modules' installed paths.
set(WO_WEBHOOK_MODULE ${WO_MODULE_DIR}/webhook_output.so)
set(WO_REDIS_STREAM_MODULE ${WO_MODULE_DIR}/redis_stream_output.so)
configure_package_config_file(cmake/package/OutputStepConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/OutputStepConfig.cmake
  INSTALL_DESTINATION ${WO_CMAKE_DIR}
  PATH_VARS WO_WEBHOOK_MODULE WO_REDIS_STREAM_MODULE CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/OutputStepConfigVersion.cmake
  COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/OutputStepConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/OutputStepConfigVersion.cmake
  DESTINATION ${WO_CMAKE_DIR})

# output-step.pc names the prefix it was installed into (known only then:
# --prefix, or /usr in the package), as Debian's own .pc files do.
set(WO_PC_PREFIX @WO_INSTALL_PREFIX@)  # left for the install step below
configure_file(cmake/package/output-step.pc.in ${CMAKE_CURRENT_BINARY_DIR}/output-step.pc.in @ONLY)
install(CODE "
  file(READ \"${CMAKE_CURRENT_BINARY_DIR}/output-step.pc.in\" pc)
  string(REPLACE \"@WO_INSTALL_PREFIX@\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  set(pc_file \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/output-step.pc\")
  message(STATUS \"Installing: \${pc_file}\")
  file(WRITE \"\${pc_file}\" \"\${pc}\")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${pc_file}\")
")
