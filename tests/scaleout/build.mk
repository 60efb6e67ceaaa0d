# tests/scaleout/build.mk: what the scale-out suite (tests/suites/scaleout) needs: BIRD on the
# router and the LBs, FRR for its configuration check of etc/frr/l3dsr.conf, nft for counters.
DEPS_TEST += bird2 frr nftables util-linux
