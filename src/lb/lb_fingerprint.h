/*
 * lb_fingerprint.h: a VIP's Maglev table summed up in 64 bits, so that operators can tell at a
 * glance whether several load balancers send every flow of the VIP to the same backend.
 */
#ifndef L3DSR_LB_FINGERPRINT_H
#define L3DSR_LB_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "src/lb/maglev.h"

/*
 * FNV-1a (64 bits) over the hash seed and the table size (4 bytes each, big-endian), then each
 * slot's backend ADDRESS in slot order (16 bytes, IPv4 v4-mapped; an empty slot 16 bytes of
 * 0xff): the backend ids of the maps are this LB's own and may differ on another. TABLE holds
 * SIZE backend ids (LB_RING_SLOT_EMPTY for an empty slot) of BACKENDS, which give each id's
 * address.
 */
uint64_t lb_fingerprint(uint32_t seed, uint32_t size, const uint32_t *table,
			const struct maglev_backend *backends, size_t count);

/*
 * The fingerprint of a table whose flows are hashed with flow-hash mix64: FINGERPRINT followed by
 * the bytes "mix64". LBs on different flow hashes send a flow to different slots of the same
 * table, so they must not show the same fingerprint; lookup3's is lb_fingerprint's alone, as
 * before flow-hash existed, so that LBs of both versions still compare.
 */
uint64_t lb_fingerprint_mix64(uint64_t fingerprint);

/* The 16 lower-case hex digits of FINGERPRINT, as l3dsrctl and the metrics show it. */
void lb_fingerprint_format(uint64_t fingerprint, char text[17]);

#endif /* L3DSR_LB_FINGERPRINT_H */
