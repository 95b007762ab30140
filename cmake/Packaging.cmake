# What `cmake --install` lays out, and the .deb CPack builds from it
# (scripts/package): the three programs, the systemd unit, the documented
# flag file in /etc/swabwave, bash completion and the docs. The package's
# maintainer scripts (services/swabwaved/debian/) create the swabwave
# system user, its 0700 /var/lib/swabwave and an empty tokens file.
include(GNUInstallDirs)

# The flag file is written by the swabwaved just built, so it lists exactly
# the flags that binary takes, with the package's settings in force.
set(SWABWAVE_FLAG_FILE ${CMAKE_BINARY_DIR}/packaging/swabwaved.flags)
add_custom_command(
  OUTPUT ${SWABWAVE_FLAG_FILE}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND $<TARGET_FILE:swabwaved> --print_flag_file --data_dir=/var/lib/swabwave
          --tokens_file=/etc/swabwave/tokens > ${SWABWAVE_FLAG_FILE}
  DEPENDS swabwaved
  COMMENT "swabwaved.flags from swabwaved --print_flag_file")
add_custom_target(swabwaved_flag_file ALL DEPENDS ${SWABWAVE_FLAG_FILE})
# Bash completion from the CLI's own command definitions.
set(SWABWAVE_COMPLETION ${CMAKE_BINARY_DIR}/packaging/swabwave.bash-completion)
add_custom_command(
  OUTPUT ${SWABWAVE_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND $<TARGET_FILE:swabwave> completion > ${SWABWAVE_COMPLETION}
  DEPENDS swabwave
  COMMENT "swabwave's bash completion from swabwave completion")
add_custom_target(swabwave_completion ALL DEPENDS ${SWABWAVE_COMPLETION})

install(TARGETS swabwaved swabwave swabwave-replay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Absolute: Debian's systemd and /etc, whatever the prefix (/usr).
install(FILES ${PROJECT_SOURCE_DIR}/services/swabwaved/swabwaved.service
        DESTINATION /lib/systemd/system)
install(FILES ${SWABWAVE_FLAG_FILE} DESTINATION /etc/swabwave)
install(FILES ${SWABWAVE_COMPLETION}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME swabwave)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME swabwave)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "swabwave operations <swabwave@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "mass-testing logistics server, CLI and replay tool")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "swabwave plans and runs community-wide testing rounds: residents to sites and waves, "
    "staff to desks, swabs to pooled tubes, boxes to labs, recalls and retests. swabwaved is "
    "its server (a systemd service), swabwave the command center's CLI, swabwave-replay the "
    "capacity teams' load and replay tool.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The libraries' packages (gRPC, protobuf, Abseil, spdlog, libsystemd ...)
# from dpkg-shlibdeps, as Debian's own packages get them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)  # fast to build in CI; xz saves little on binaries
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/services/swabwaved/debian/conffiles
    ${PROJECT_SOURCE_DIR}/services/swabwaved/debian/postinst
    ${PROJECT_SOURCE_DIR}/services/swabwaved/debian/prerm
    ${PROJECT_SOURCE_DIR}/services/swabwaved/debian/postrm)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)
include(CPack)
