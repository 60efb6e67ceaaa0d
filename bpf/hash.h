/* hash.h: the flow hash that picks a Maglev slot; plain C, so user space can compute it too. */
#ifndef L3DSR_HASH_H
#define L3DSR_HASH_H

#include <linux/types.h>

#include "l3dsr_common.h"

/*
 * A 32-bit hash of the ten words of a flow key, built from the mix and final steps of Bob
 * Jenkins' lookup3 (public domain): every input bit affects every output bit, it needs only
 * adds, xors and rotates (cheap in BPF, no multiply), and it takes a seed, so all LB nodes with
 * the same hash-seed agree while different clusters spread flows differently.
 *
 * The words are hashed as the CPU loads them from the network-order fields, so LB nodes must
 * share byte order (they do: x86-64 and arm64 are little-endian) to pick the same backends.
 */

#define L3DSR_HASH_ROTATE(word, bits) (((word) << (bits)) | ((word) >> (32 - (bits))))

#define L3DSR_HASH_MIX(a, b, c)                                                                    \
	do {                                                                                       \
		a -= c;                                                                            \
		a ^= L3DSR_HASH_ROTATE(c, 4);                                                      \
		c += b;                                                                            \
		b -= a;                                                                            \
		b ^= L3DSR_HASH_ROTATE(a, 6);                                                      \
		a += c;                                                                            \
		c -= b;                                                                            \
		c ^= L3DSR_HASH_ROTATE(b, 8);                                                      \
		b += a;                                                                            \
		a -= c;                                                                            \
		a ^= L3DSR_HASH_ROTATE(c, 16);                                                     \
		c += b;                                                                            \
		b -= a;                                                                            \
		b ^= L3DSR_HASH_ROTATE(a, 19);                                                     \
		a += c;                                                                            \
		c -= b;                                                                            \
		c ^= L3DSR_HASH_ROTATE(b, 4);                                                      \
		b += a;                                                                            \
	} while (0)

#define L3DSR_HASH_FINAL(a, b, c)                                                                  \
	do {                                                                                       \
		c ^= b;                                                                            \
		c -= L3DSR_HASH_ROTATE(b, 14);                                                     \
		a ^= c;                                                                            \
		a -= L3DSR_HASH_ROTATE(c, 11);                                                     \
		b ^= a;                                                                            \
		b -= L3DSR_HASH_ROTATE(a, 25);                                                     \
		c ^= b;                                                                            \
		c -= L3DSR_HASH_ROTATE(b, 16);                                                     \
		a ^= c;                                                                            \
		a -= L3DSR_HASH_ROTATE(c, 4);                                                      \
		b ^= a;                                                                            \
		b -= L3DSR_HASH_ROTATE(a, 14);                                                     \
		c ^= b;                                                                            \
		c -= L3DSR_HASH_ROTATE(b, 24);                                                     \
	} while (0)

/* lookup3's initial value for a 40-byte key: the golden-ratio-like constant plus the length. */
#define L3DSR_HASH_INITIAL (0xdeadbeefU + (__u32)sizeof(struct flow_key))

/* lookup3's three words between its rounds. */
struct l3dsr_hash_round {
	__u32 a, b, c;
};

/*
 * The flow hash's first round: it reads only SOURCE's first three words, so for every IPv4
 * (v4-mapped) source it is the same, a function of SEED alone, which the LB program keeps.
 */
static inline __attribute__((always_inline)) void
l3dsr_flow_hash_first(const struct l3dsr_address *source, __u32 seed,
		      struct l3dsr_hash_round *round)
{
	__u32 a = L3DSR_HASH_INITIAL + seed;
	__u32 b = a;
	__u32 c = a;

	a += source->words[0];
	b += source->words[1];
	c += source->words[2];
	L3DSR_HASH_MIX(a, b, c);
	round->a = a;
	round->b = b;
	round->c = c;
}

/* The rest of the flow hash of FLOW, from its first round FIRST. */
static inline __attribute__((always_inline)) __u32
l3dsr_flow_hash_rest(const struct flow_key *flow, const struct l3dsr_hash_round *first)
{
	__u32 a = first->a;
	__u32 b = first->b;
	__u32 c = first->c;

	a += flow->source.words[3];
	b += flow->destination.words[0];
	c += flow->destination.words[1];
	L3DSR_HASH_MIX(a, b, c);
	a += flow->destination.words[2];
	b += flow->destination.words[3];
	c += ((__u32)flow->source_port << 16) | flow->destination_port;
	L3DSR_HASH_MIX(a, b, c);
	a += flow->protocol;
	L3DSR_HASH_FINAL(a, b, c);
	return c;
}

/* The hash of a client's flow (source, destination, ports, protocol) under SEED. */
static inline __attribute__((always_inline)) __u32 l3dsr_flow_hash(const struct flow_key *flow,
								   __u32 seed)
{
	struct l3dsr_hash_round first;

	l3dsr_flow_hash_first(&flow->source, seed, &first);
	return l3dsr_flow_hash_rest(flow, &first);
}

/*
 * flow-hash = mix64 (LB_SETTINGS_F_HASH_MIX64): the same inputs as l3dsr_flow_hash (the ten
 * words of the flow key: source, destination, ports, protocol; the padding is not read) under
 * SEED, hashed with 64-bit multiplies. lookup3's rounds are a serial chain of adds, xors and
 * rotates, and BPF has no rotate: they cost 11-15 ns of a packet (docs/performance.md). Here:
 *
 * - the words are paired into five 64-bit lanes, each multiplied by its own odd constant and the
 *   products added: the five multiplies do not wait for each other (the CPU overlaps them), and
 *   distinct odd constants keep the sum from being symmetric (source and destination swapped
 *   collide only by chance), as two lanes' differences cancel only by chance;
 * - the seed is xored into the ports' half of the last lane before its multiply: all 32 bits
 *   count, and it moves every slot through the nonlinear steps below;
 * - then an avalanche (xorshift, multiply, xorshift, multiply, MurmurHash3's fmix64 constants),
 *   the only serial multiplies: a product's bit reaches only the bits above it, the xorshifts
 *   bring the high bits down again. The top 32 bits of the last product are the ones every input
 *   bit reaches, so they are the result (fmix64's last xorshift would not change them).
 *
 * The words are taken as loaded from the network-order fields, as l3dsr_flow_hash does.
 */
#define L3DSR_MIX64_LANE(low, high) (((__u64)(high) << 32) | (low))

static inline __attribute__((always_inline)) __u32
l3dsr_flow_hash_mix64(const struct flow_key *flow, __u32 seed)
{
	__u64 ports = L3DSR_MIX64_LANE(((__u32)flow->source_port << 16) | flow->destination_port,
				       flow->protocol);
	__u64 h;

	h = L3DSR_MIX64_LANE(flow->source.words[0], flow->source.words[1]) * 0x9e3779b97f4a7c15ULL;
	h += L3DSR_MIX64_LANE(flow->source.words[2], flow->source.words[3]) * 0xc2b2ae3d27d4eb4fULL;
	h += L3DSR_MIX64_LANE(flow->destination.words[0], flow->destination.words[1]) *
	     0x165667b19e3779f9ULL;
	h += L3DSR_MIX64_LANE(flow->destination.words[2], flow->destination.words[3]) *
	     0x85ebca77c2b2ae63ULL;
	h += (ports ^ seed) * 0x27d4eb2f165667c5ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return (__u32)(h >> 32);
}

/*
 * The top ORDER bits of a multiplicative hash of WORD (Knuth's golden-ratio constant): the top
 * bits are the ones every input bit reaches, so a table of 2^ORDER entries takes them.
 */
static inline __attribute__((always_inline)) __u32 l3dsr_hash_top_bits(__u32 word,
								       unsigned int order)
{
	return (__u32)(word * 2654435761U) >> (32 - order);
}

/*
 * The vip_address_filter bit of ADDRESS: the four words folded, then l3dsr_hash_top_bits. IPv4
 * addresses differ only in the last word; IPv6 VIPs of one prefix mostly in the last ones: all
 * reach the top bits.
 */
static inline __attribute__((always_inline)) __u32
l3dsr_address_filter_bit(const struct l3dsr_address *address)
{
	__u32 folded =
	    address->words[0] ^ address->words[1] ^ address->words[2] ^ address->words[3];

	return l3dsr_hash_top_bits(folded, L3DSR_ADDRESS_FILTER_ORDER);
}

/*
 * The home slot of the VIP key (ADDRESS, PORT, PROTOCOL) in a half of vip_slots: the address
 * folded, then port and protocol. The LB asks with its flow's fields, not a key built for it.
 */
static inline __attribute__((always_inline)) __u32
l3dsr_vip_slot_home_of(const struct l3dsr_address *address, __be16 port, __u8 protocol)
{
	__u32 folded =
	    address->words[0] ^ address->words[1] ^ address->words[2] ^ address->words[3];

	folded ^= ((__u32)port << 8) | protocol;
	return l3dsr_hash_top_bits(folded, L3DSR_VIP_SLOTS_ORDER);
}

/* The home slot of KEY in a half of vip_slots. */
static inline __attribute__((always_inline)) __u32 l3dsr_vip_slot_home(const struct vip_key *key)
{
	return l3dsr_vip_slot_home_of(&key->address, key->port, key->protocol);
}

/* Sets ADDRESS's bit in FILTER (user space: the daemon, the tests, the benchmark). */
static inline void l3dsr_address_filter_set(struct vip_address_filter *filter,
					    const struct l3dsr_address *address)
{
	__u32 bit = l3dsr_address_filter_bit(address);

	filter->bits[bit / 64] |= 1ULL << (bit % 64);
}

#endif /* L3DSR_HASH_H */
