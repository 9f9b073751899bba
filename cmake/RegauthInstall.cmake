# RegauthInstall.cmake — `cmake --install` and the Debian package (CPack).
#
# Layout (GNUInstallDirs, prefix /usr for the .deb):
#   bin/regauth                          the binary
#   share/regauth/cases/                 the suite's data: worlds, matrices, hand-written cases,
#                                        grids, requirements, profiles, baselines, JSON Schemas
#   share/regauth/ci/                    the CI templates and the example CI world
#   share/regauth/report-assets/         report.html's markup, styles and script (the binary
#                                        embeds them; installed for reading and auditing)
#   share/doc/regauth/                   README.md, results-schema.md
# The installed binary finds its data relative to itself: <bindir>/../share/regauth/cases
# (harness/suite/load.h DefaultCasesDir), so any prefix works and no path is compiled in.
#
#   cmake --install build/default --prefix /tmp/regauth
#   cpack --config build/default/CPackConfig.cmake -B build/default/package   # regauth_*.deb
include(GNUInstallDirs)
# `install` (and so cpack) installs what is built instead of building every test first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS regauth RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/cases/ DESTINATION ${CMAKE_INSTALL_DATADIR}/regauth/cases
        PATTERN "testdata" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/ci/regauth.gitlab-ci.yml
              ${PROJECT_SOURCE_DIR}/ci/regauth.github-workflow.yml
              ${PROJECT_SOURCE_DIR}/ci/world.example.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/regauth/ci)
install(FILES ${PROJECT_SOURCE_DIR}/reports/assets/report.html
              ${PROJECT_SOURCE_DIR}/reports/assets/report.css
              ${PROJECT_SOURCE_DIR}/reports/assets/report.js
        DESTINATION ${CMAKE_INSTALL_DATADIR}/regauth/report-assets)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/reports/results-schema.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The .deb: its dependencies are computed by dpkg-shlibdeps (dpkg-dev) from the binary's shared
# libraries, so they are Debian packages by construction (libc6, libcurl4, libssl3, zlib1g, …).
# The peers some cases drive are suggestions: without them those cases SKIP.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME regauth)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "regauth maintainers <regauth@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "conformance suite for container-registry token authentication (GitLab, distribution)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker-registry, skopeo, curl, chromium")
set(CPACK_STRIP_FILES ON)
include(CPack)
