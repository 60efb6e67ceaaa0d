# tests/build.mk: test programs. Every executable in tests/suites/ is one suite of make check.
