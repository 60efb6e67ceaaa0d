# tests/packaging/build.mk: building and inspecting the .deb and the .rpm (make deb, make rpm).
DEPS_TEST += debhelper dpkg-dev lintian rpm
