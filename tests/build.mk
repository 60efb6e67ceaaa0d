# tests/build.mk: test programs. Every executable in tests/suites/ is one suite of make check;
# each test directory declares its programs in its own build.mk.
-include $(wildcard tests/*/build.mk)
