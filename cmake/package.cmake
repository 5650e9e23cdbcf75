# `make package`: a Debian package of what cmake/install.cmake installs,
# with CPack: webhook-output_<version>_amd64.deb, installed under /usr, its
# Depends computed from the binaries (dpkg-shlibdeps), the binaries stripped.
set(WO_PACKAGE_MAINTAINER "webhook-output maintainers <maintainers@webhook-output.invalid>"
  CACHE STRING "The Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME webhook-output)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time webhook output step, mock endpoint, journey simulator and Redis runner")
set(CPACK_PACKAGE_DESCRIPTION "An output-step module (a generic, versioned C ABI loaded with dlopen) that renders \
each activation of a customer journey into a request and delivers it to a webhook over HTTP/1.1 or HTTPS, with \
retries, dead letters and a durable spool; webhook-mock, a webhook receiver with WireMock's admin API; \
journey-sim, which plays journey scenarios through the module on simulated time; output-runner, which shares a \
Redis stream between runners on many machines. With the ABI header, a CMake package and a pkg-config file.")
set(CPACK_PACKAGE_CONTACT "${WO_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Installed with CMAKE_INSTALL_PREFIX=/usr under DESTDIR: output-step.pc says /usr.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
include(CPack)
