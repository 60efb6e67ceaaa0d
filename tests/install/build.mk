# tests/install/build.mk: the real-install test (make check-install; also a suite of make check)
# boots a debootstrapped root under systemd-nspawn and fetches HTTP through the VIP with curl.
DEPS_TEST += debootstrap systemd-container curl debhelper dpkg-dev
