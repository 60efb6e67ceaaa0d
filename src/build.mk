# src/build.mk: the daemon, the CLI and the library code they share.
