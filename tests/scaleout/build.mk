# tests/scaleout/build.mk: what the scale-out suite (tests/suites/scaleout) needs: BIRD on the
# router and the LBs, FRR for its configuration check of etc/frr/l3dsr.conf, nft for counters.
DEPS_TEST += bird2 frr nftables util-linux
# The suite runs its own BIRD and FRR per namespace; the host's services stay off.
DEPS_SERVICES_OFF += bird2:bird.service frr:frr.service
